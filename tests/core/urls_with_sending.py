from django.http import HttpResponse
from django.urls import include, path

from sesconsole.urls import urlpatterns as base

sending = ([path("", lambda request: HttpResponse("send"), name="send")], "sending")

urlpatterns = [*base, path("console/send/", include(sending))]
