from django.urls import path

from . import views

app_name = "templates"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_create, name="create"),
    path("<int:pk>/", views.template_detail, name="detail"),
    path("<int:pk>/edit/", views.template_edit, name="edit"),
    path("<int:pk>/submit/", views.template_submit, name="submit"),
    path("<int:pk>/delete/", views.template_delete, name="delete"),
    path("<int:pk>/revisions/<int:number>/preview/", views.revision_preview, name="preview"),
]

review_patterns = (
    [
        path("", views.review_queue, name="queue"),
        path("<int:pk>/", views.review_revision, name="revision"),
        path("<int:pk>/preview/", views.review_preview, name="preview"),
    ],
    "review",
)
