"""The Blocklist page's URLs, inside the "sending" namespace (see sending.urls)."""

from django.urls import path

from sending.suppression import views

urlpatterns = [
    path("", views.blocklist_page, name="blocklist"),
    path("<int:pk>/edit/", views.blocklist_edit, name="blocklist_edit"),
    path("<int:pk>/remove/", views.blocklist_remove, name="blocklist_remove"),
    path("bounces/<int:pk>/remove/", views.blocklist_bounce_remove, name="blocklist_bounce_remove"),
]
