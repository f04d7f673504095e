from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from tourdraw.api.v1 import api
from tourdraw.transparency import views as transparency
from tourdraw.worker.health import health

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("web/icon.svg"), permanent=True)),
    path("health/", health, name="health"),
    path(settings.TOURDRAW_ADMIN_PATH, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("backoffice/", include("tourdraw.backoffice.urls")),
    path("api/v1/", api.urls),
    path("transparency/", include("tourdraw.transparency.urls")),
    path("fairness/", transparency.fairness, name="fairness"),
    path("fairness/spec/<str:name>", transparency.spec, name="spec"),
    path(".well-known/tourdraw-log-key.json", transparency.log_key_json, name="log_key"),
    path("", include("tourdraw.web.urls")),
]

# An uncaught exception under /api/ still answers {code, message, field}.
handler500 = "tourdraw.api.errors.server_error"
