from django.urls import include, path

from . import views

app_name = "sending"

urlpatterns = [
    path("send/", views.send, name="send"),
    path("send/templates/<int:pk>/variables/", views.send_variables, name="send_variables"),
    path("messages/", views.message_log, name="messages"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("blocklist/", include("sending.urls_blocklist")),
]
