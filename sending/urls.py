"""The sending app's console pages, gathered from the sub-packages that own them."""

from django.urls import include, path

from sending.acceptance import views as acceptance
from sending.log import views as log

app_name = "sending"

urlpatterns = [
    path("send/", acceptance.send, name="send"),
    path("send/templates/<int:pk>/variables/", acceptance.send_variables, name="send_variables"),
    path("messages/", log.message_log, name="messages"),
    path("messages/<int:pk>/", log.message_detail, name="message"),
    path("blocklist/", include("sending.suppression.urls")),
    path("batch/", include("sending.batch.urls_tasks")),
    path("recipient-lists/", include("sending.batch.urls_lists")),
]
