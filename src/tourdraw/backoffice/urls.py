from django.urls import path

from tourdraw.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("calls/", views.call_centre, name="call_centre"),
    path("calls/<int:offer_id>/", views.record_call, name="record_call"),
]
