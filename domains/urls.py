from django.urls import path

from . import views

app_name = "domains"

urlpatterns = [
    path("domains/", views.domain_list, name="list"),
    path("domains/<int:pk>/", views.domain_detail, name="detail"),
    path("domains/<int:pk>/status/", views.domain_status, name="status"),
    path("domains/<int:pk>/verify/", views.domain_verify, name="verify"),
    path("domains/<int:pk>/delete/", views.domain_delete, name="delete"),
    path("senders/", views.sender_list, name="senders"),
    path("senders/<int:pk>/password/", views.sender_password, name="sender_password"),
    path("senders/<int:pk>/delete/", views.sender_delete, name="sender_delete"),
]
