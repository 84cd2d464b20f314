from django.http import HttpResponse
from django.urls import include, path

from sesconsole.urls import urlpatterns as base

stats = ([path("", lambda request: HttpResponse("stats"), name="overview")], "stats")

urlpatterns = [*base, path("console/statistics/", include(stats))]
