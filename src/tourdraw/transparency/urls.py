from django.urls import path

from tourdraw.transparency import views

app_name = "transparency"
urlpatterns = [
    path("log.json", views.log_json, name="log_json"),
]
