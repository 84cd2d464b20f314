"""The Batch Sending pages' URLs, inside the "sending" namespace under batch/ (see
sending.urls); the recipient lists have theirs in urls_lists."""

from django.urls import path

from sending.batch import views_tasks as views

urlpatterns = [
    path("tasks/", views.task_list, name="batch_tasks"),
    path("tasks/progress/", views.tasks_progress, name="batch_tasks_progress"),
    path("tasks/new/", views.task_new, name="batch_task_new"),
    path("tasks/new/variables/", views.task_variables, name="batch_task_variables"),
    path("tasks/<int:pk>/", views.task_detail, name="batch_task"),
    path("tasks/<int:pk>/progress/", views.task_progress, name="batch_task_progress"),
    path("tasks/<int:pk>/export.csv", views.task_export, name="batch_task_export"),
    path(
        "tasks/<int:pk>/pause/",
        views.task_action,
        {"action": "pause"},
        name="batch_task_pause",
    ),
    path(
        "tasks/<int:pk>/resume/",
        views.task_action,
        {"action": "resume"},
        name="batch_task_resume",
    ),
    path(
        "tasks/<int:pk>/cancel/",
        views.task_action,
        {"action": "cancel"},
        name="batch_task_cancel",
    ),
]
