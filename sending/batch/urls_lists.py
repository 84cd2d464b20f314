"""The Recipient Lists pages' URLs, inside the "sending" namespace under
recipient-lists/ (see sending.urls); the batch tasks have theirs in urls_tasks."""

from django.urls import path

from sending.batch import views_lists as views

urlpatterns = [
    path("", views.recipient_lists, name="recipient_lists"),
    path("<int:pk>/", views.recipient_list, name="recipient_list"),
    path("<int:pk>/progress/", views.recipient_list_progress, name="recipient_list_progress"),
    path(
        "<int:pk>/imports/<int:import_pk>/rejected.csv",
        views.import_rejections,
        name="recipient_list_rejections",
    ),
    path("<int:pk>/delete/", views.recipient_list_delete, name="recipient_list_delete"),
]
