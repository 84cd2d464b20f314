from django.http import HttpResponse
from django.urls import include, path

from sesconsole.urls import urlpatterns as base

domains = ([path("", lambda request: HttpResponse("domains"), name="list")], "domains")

urlpatterns = [*base, path("console/domains/", include(domains))]
