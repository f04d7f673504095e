from django.contrib.auth.views import LogoutView
from django.urls import path

from tourdraw.backoffice import (
    audit_log,
    notices,
    operations,
    planning,
    round_audit,
    sign_in,
    views,
)

app_name = "backoffice"
urlpatterns = [
    path("", operations.index, name="index"),
    path("rounds/new/", operations.round_create, name="round_create"),
    path("rounds/<int:round_id>/", operations.round_detail, name="round"),
    path("rounds/<int:round_id>/action/", operations.round_action, name="round_action"),
    path("rounds/<int:round_id>/audit.json", round_audit.round_audit_json, name="round_audit"),
    path("planning/", planning.planning, name="planning"),
    path("planning/cancel/", planning.bulk_cancel, name="bulk_cancel"),
    path("slots/<int:slot_id>/cancel/", operations.slot_cancel, name="slot_cancel"),
    path("dashboards/", operations.dashboards, name="dashboards"),
    path("audit/", audit_log.audit_log, name="audit"),
    path("login/", sign_in.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("login/second-factor/", sign_in.second_factor_view, name="second_factor"),
    path("login/second-factor/enrol/", sign_in.enrol, name="enrol"),
    path("calls/", views.call_centre, name="call_centre"),
    path("calls/<int:offer_id>/", views.record_call, name="record_call"),
    path("calls/identity/", views.identity_dispute, name="identity_dispute"),
    path("gate/", views.gate_slots, name="gate_slots"),
    path("gate/<int:slot_id>/", views.gate_page, name="gate"),
    path("gate/<int:slot_id>/check-in/", views.gate_check_in, name="gate_check_in"),
    path("gate/<int:slot_id>/manifest.json", views.gate_manifest, name="gate_manifest"),
    path("gate/<int:slot_id>/sync/", views.gate_sync, name="gate_sync"),
    path(
        "gate/<int:slot_id>/groups/<int:group_id>/",
        views.gate_group_check_in,
        name="gate_group_check_in",
    ),
    path(
        "gate/<int:slot_id>/groups/<int:group_id>/document/",
        views.gate_group_document,
        name="gate_group_document",
    ),
    path("sites/", notices.site_list, name="sites"),
    path("sites/<slug:site_code>/notices/", notices.notice_list, name="notices"),
    path(
        "sites/<slug:site_code>/notices/<int:notice_id>/",
        notices.notice_edit,
        name="notice_edit",
    ),
    path(
        "sites/<slug:site_code>/notices/<int:notice_id>/remove/",
        notices.notice_remove,
        name="notice_remove",
    ),
    path("groups/", views.group_list, name="groups"),
    path("groups/<int:group_id>/", views.group_detail, name="group"),
]
