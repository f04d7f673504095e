from django.urls import path

from tourdraw.transparency import views

app_name = "transparency"
urlpatterns = [
    path("", views.log_page, name="log"),
    path("log.json", views.log_json, name="log_json"),
]
