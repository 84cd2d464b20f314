from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from sesconsole.api.views import gateway
from sesconsole.views import healthz
from templates_app.urls import review_patterns

admin.site.site_header = "sesconsole support"
admin.site.site_title = "sesconsole support"

urlpatterns = [
    # The Tencent-compatible API lives at the root, as the official SDK
    # always calls "/"; a browser's GET / is sent on to the console.
    path("", gateway, name="api"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever a page links. Lazy: the manifest
    # storage names the hashed file only once collectstatic has run.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("favicon.ico"), permanent=True),
        name="favicon",
    ),
    path("", include("accounts.urls")),
    path("", include("stats.urls")),
    path("console/", include("domains.urls")),
    path("console/templates/", include("templates_app.urls")),
    path("console/", include("sending.urls")),
    path("review/", include(review_patterns)),
]
