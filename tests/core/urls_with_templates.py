from django.http import HttpResponse
from django.urls import include, path

from sesconsole.urls import urlpatterns as base

templates = ([path("", lambda request: HttpResponse("templates"), name="list")], "templates")

urlpatterns = [*base, path("console/templates/", include(templates))]
