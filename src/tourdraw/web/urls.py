from django.urls import path

from tourdraw.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("sites/<slug:code>/", views.site_detail, name="site"),
    path("sites/<slug:code>/groups/", views.group_request, name="group_request"),
    path("sites/<slug:code>/history/", views.site_history, name="history"),
    path("groups/<str:code>/", views.group_page, name="group"),
    path("groups/<str:code>/member-list.<slug:kind>", views.group_template, name="group_template"),
    path("rounds/<slug:code>/", views.round_detail, name="round"),
    path("rounds/<slug:code>/enter/", views.enter, name="enter"),
    path("rounds/<slug:code>/results/", views.round_results, name="results"),
    path(
        "rounds/<slug:code>/leftovers/<int:slot_id>/",
        views.leftover_claim,
        name="leftover_claim",
    ),
    path("rounds/<slug:code>/draw.json", views.draw_record, name="draw_record"),
    path("sign-in/", views.sign_in_view, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("me/profile/", views.profile, name="profile"),
    path("me/email/", views.email_address, name="email"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/people/<int:person_id>/name/", views.correct_name, name="correct_name"),
    path("me/delete/", views.delete_account, name="delete_account"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("me/entries/", views.my_entries, name="my_entries"),
    path("me/entries/<str:code>/", views.entry_detail, name="entry_detail"),
    path("me/entries/<str:code>/receipt.json", views.entry_receipt, name="entry_receipt"),
    path("me/entries/<str:code>/change/", views.entry_change, name="entry_change"),
    path("me/entries/<str:code>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("me/entries/<str:code>/confirm/", views.offer_confirm, name="offer_confirm"),
    path("me/entries/<str:code>/decline/", views.offer_decline, name="offer_decline"),
    path("tickets/<str:code>/", views.ticket_page, name="ticket"),
    path("tickets/<str:code>/cancel/", views.ticket_cancel, name="ticket_cancel"),
]
