from django.urls import path

from stats import views

urlpatterns = [
    path("console/", views.overview, name="overview"),
]
