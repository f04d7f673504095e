from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from tourdraw.api.v1 import api
from tourdraw.transparency import views as transparency

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("web/icon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("backoffice/", include("tourdraw.backoffice.urls")),
    path("api/v1/", api.urls),
    path("transparency/", include("tourdraw.transparency.urls")),
    path("fairness/", transparency.fairness, name="fairness"),
    path("fairness/spec/<str:name>", transparency.spec, name="spec"),
    path(".well-known/tourdraw-log-key.json", transparency.log_key_json, name="log_key"),
    path("", include("tourdraw.web.urls")),
]
