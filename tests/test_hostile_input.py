"""A hand list of hostile inputs, sent to every web form and every API write (and
the reads that take a code or a query): none may be answered with a server
error. Each answer must be a 2xx/3xx or a 4xx that says what was wrong."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.support import (
    api_token_headers,
    drawn_round,
    make_site,
    make_visitor,
    request_group,
    sign_in_staff,
)
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import confirm_offer

LONG = "长" * 10_000
# Strings a form or a JSON string field may receive.
TEXTS = [
    "\x00",
    "ab\x00cd",
    LONG,
    "x" * 10_000,
    "",
    " ",
    "\u202e\u200b\ufeff",
    "𝕏𝕐" * 60,
    "Ａ１",
    "٣٤٥",
    '=HYPERLINK("http://evil")',
    "../../etc/passwd",
    "' OR 1=1 --",
    "a\nb\r\nc",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "2026-02-30",
    "0x10",
]
# Values of the wrong type for a JSON field.
WRONG_TYPES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    1.5,
    [],
    {},
    ["x"],
    {"a": "b"},
    "\x00",
    LONG,
]


@pytest.fixture
def world(platform_admin):
    # The approved group is placed before the round closes: after that the
    # slot's places are sealed (a later approval is refused).
    approved = request_group(make_site(), 2, organisation="另一所学校")
    round, slot, entries = drawn_round(10, [2, 2], [2], group=approved)
    site = slot.tour.site
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    group = request_group(site, 2)
    approved.refresh_from_db()
    return {
        "round": round,
        "slot": slot,
        "site": site,
        "entries": entries,
        "ticket": ticket,
        "group": group,
        "approved": approved,
        "admin": platform_admin,
        "offer": Offer.objects.get(entry=entries[1]),
    }


def _client() -> Client:
    return Client(raise_request_exception=False)


class Findings:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests = 0

    def check(self, response: Any, what: str) -> None:
        self.requests += 1
        if response.status_code >= 500:
            cause = getattr(response, "exc_info", None)
            self.errors.append(
                f"{response.status_code} {what} {cause[1]!r}"[:300]
                if cause
                else f"{response.status_code} {what}"
            )


def _web_forms(w: dict[str, Any]) -> list[tuple[str, str, list[str], str]]:
    """(who, url, fields, method) for every form the pages post."""
    entry = w["entries"][0]
    offer_entry = w["entries"][1]
    site, slot, round = w["site"], w["slot"], w["round"]
    enter_fields = [
        "choice_1",
        "choice_2",
        "choice_3",
        "companion_0_full_name",
        "companion_0_id_type",
        "companion_0_id_number",
        "companion_0_birth_date",
        "companion_0_person",
    ]
    return [
        ("anon", reverse("web:sign_in"), ["phone", "next"], "post"),
        ("anon", reverse("web:group_request", args=[site.code]), _group_fields(), "post"),
        ("anon", reverse("web:group", args=[w["approved"].code]), ["members"], "post"),
        ("anon", reverse("web:results", args=[round.code]), ["entry"], "get"),
        ("anon", reverse("backoffice:login"), ["username", "password", "next"], "post"),
        ("anon", "/i18n/setlang/", ["language", "next"], "post"),
        (
            "visitor",
            reverse("web:profile"),
            ["full_name", "id_type", "id_number", "birth_date"],
            "post",
        ),
        ("visitor", reverse("web:enter", args=[round.code]), enter_fields, "post"),
        ("owner", reverse("web:entry_change", args=[entry.code]), enter_fields, "post"),
        ("owner", reverse("web:ticket_cancel", args=[w["ticket"].code]), ["reason"], "post"),
        (
            "offered",
            reverse("web:offer_confirm", args=[offer_entry.code]),
            ["accept_rules"],
            "post",
        ),
        ("staff", reverse("backoffice:second_factor"), ["token", "next"], "post"),
        (
            "staff",
            reverse("backoffice:round_create"),
            ["tour", "code", "title", "title_en", "opens_at", "closes_at", "draws_at", "slot"],
            "post",
        ),
        ("staff", reverse("backoffice:round_create"), ["copy"], "get"),
        ("staff", reverse("backoffice:round_action", args=[round.pk]), ["action", "slot"], "post"),
        (
            "staff",
            reverse("backoffice:planning"),
            ["tour", "weekdays", "first_day", "last_day", "times", "capacity"],
            "post",
        ),
        ("staff", reverse("backoffice:planning"), ["week"], "get"),
        (
            "staff",
            reverse("backoffice:bulk_cancel"),
            ["slot", "reason", "confirmed", "week"],
            "post",
        ),
        ("staff", reverse("backoffice:slot_cancel", args=[slot.pk]), ["reason"], "post"),
        ("staff", reverse("backoffice:dashboards"), ["year", "table", "format"], "get"),
        (
            "staff",
            reverse("backoffice:audit"),
            [
                "action",
                "object_type",
                "object_id",
                "actor",
                "date_from",
                "date_to",
                "page",
                "format",
            ],
            "get",
        ),
        (
            "staff",
            reverse("backoffice:record_call", args=[w["offer"].pk]),
            ["outcome", "note"],
            "post",
        ),
        ("staff", reverse("backoffice:gate_slots"), ["gate_name"], "post"),
        ("staff", reverse("backoffice:gate", args=[slot.pk]), ["code"], "post"),
        (
            "staff",
            reverse("backoffice:gate_check_in", args=[slot.pk]),
            ["code", "member", "nonce"],
            "post",
        ),
        (
            "staff",
            reverse("backoffice:group", args=[w["group"].pk]),
            ["decision", "slot", "reason"],
            "post",
        ),
        (
            "staff",
            reverse("backoffice:gate_group_check_in", args=[slot.pk, w["approved"].pk]),
            ["member"],
            "post",
        ),
    ]


def _group_fields() -> list[str]:
    return [
        "organisation",
        "contact_name",
        "contact_phone",
        "contact_email",
        "size",
        "preferred_dates",
        "purpose",
    ]


def _signed_in_clients(w: dict[str, Any]) -> dict[str, Client]:
    clients = {name: _client() for name in ("anon", "visitor", "owner", "offered", "staff")}
    clients["visitor"].force_login(make_visitor("+8613900000077", sequence=777).user)
    clients["owner"].force_login(w["entries"][0].visitor.user)
    clients["offered"].force_login(w["entries"][1].visitor.user)
    sign_in_staff(clients["staff"], w["admin"])
    return clients


def test_no_web_form_answers_a_hostile_value_with_a_server_error(world):
    found = Findings()
    clients = _signed_in_clients(world)
    for who, url, fields, method in _web_forms(world):
        client = clients[who]
        send = client.post if method == "post" else client.get
        for value in TEXTS:
            # Every field at once, then each field alone among plausible others.
            found.check(send(url, dict.fromkeys(fields, value)), f"{url} all={value[:20]!r}")
            # Past the confirmation step of irreversible actions, to their services.
            confirmed = dict.fromkeys(fields, value) | {"confirm": "yes"}
            found.check(send(url, confirmed), f"{url} confirmed all={value[:20]!r}")
            for field in fields:
                if value in ("\x00", LONG):
                    data = {other: "1" for other in fields} | {field: value}
                    found.check(send(url, data), f"{url} {field}={value[:20]!r}")
    assert not found.errors, f"{len(found.errors)} of {found.requests}:\n" + "\n".join(found.errors)


def _api_writes(w: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(who, method, path, a valid body) for every API write."""
    entry, offered = w["entries"][0], w["entries"][1]
    round, slot, site = w["round"], w["slot"], w["site"]
    member = {"full_name": "王芳", "id_type": "cn_resident", "id_number": "110101199001011234"}
    return [
        ("anon", "post", "/api/v1/auth/code", {"phone": "+8613800000000"}),
        ("anon", "post", "/api/v1/auth/token", {"phone": "+8613800000000", "code": "123456"}),
        (
            "anon",
            "post",
            f"/api/v1/sites/{site.code}/groups",
            {
                "organisation": "x",
                "contact_name": "x",
                "contact_phone": "+85291234567",
                "contact_email": "a@b.cn",
                "size": 2,
                "preferred_dates": "x",
                "purpose": "x",
            },
        ),
        ("anon", "put", f"/api/v1/groups/{w['approved'].code}/members", {"members": [member]}),
        (
            "visitor",
            "put",
            "/api/v1/me/profile",
            {
                "full_name": "王芳",
                "id_type": "cn_resident",
                "id_number": "110101199001011234",
                "birth_date": "1990-01-01",
            },
        ),
        (
            "visitor",
            "post",
            f"/api/v1/rounds/{round.code}/entries",
            {"choices": [slot.pk], "companions": [member]},
        ),
        (
            "owner",
            "put",
            f"/api/v1/me/entries/{entry.code}",
            {"choices": [slot.pk], "companions": []},
        ),
        ("offered", "post", f"/api/v1/me/entries/{offered.code}/confirm", {"accept_rules": True}),
        ("offered", "post", f"/api/v1/me/entries/{offered.code}/decline", {}),
        ("owner", "post", f"/api/v1/me/tickets/{w['ticket'].code}/cancel", {}),
        ("owner", "delete", f"/api/v1/me/entries/{entry.code}", {}),
        ("staff", "post", f"/api/v1/operator/rounds/{round.code}/close", {}),
        ("staff", "post", f"/api/v1/operator/rounds/{round.code}/draw", {}),
        (
            "staff",
            "post",
            f"/api/v1/operator/offers/{w['offer'].pk}/calls",
            {"outcome": "no_answer", "note": "x"},
        ),
        (
            "staff",
            "post",
            f"/api/v1/operator/slots/{slot.pk}/check-in",
            {"code": w["ticket"].code, "members": [1]},
        ),
        ("staff", "post", f"/api/v1/operator/groups/{w['group'].pk}/approve", {"slot": slot.pk}),
        ("staff", "post", f"/api/v1/operator/groups/{w['group'].pk}/decline", {"reason": "x"}),
        (
            "staff",
            "post",
            f"/api/v1/operator/slots/{slot.pk}/groups/{w['approved'].pk}/check-in",
            {"members": [1]},
        ),
    ]


def _api_reads(w: dict[str, Any]) -> list[str]:
    """Reads whose path or query carries what the caller typed; {} is the hostile part."""
    return [
        "/api/v1/sites/{}/tours",
        "/api/v1/sites/{}/slots",
        "/api/v1/sites/xiaomi-ev/slots?tour={}",
        "/api/v1/rounds?site={}",
        "/api/v1/rounds/{}",
        "/api/v1/rounds/{}/results?entry=x",
        f"/api/v1/rounds/{w['round'].code}/results?entry={{}}",
        "/api/v1/rounds/{}/draw",
        "/api/v1/groups/{}",
        "/api/v1/me/entries/{}",
        "/api/v1/me/tickets/{}",
        "/api/v1/operator/groups?state={}",
        "/api/v1/sites?limit={}",
        "/api/v1/sites?offset={}",
        "/rounds/{}/",
        "/rounds/{}/draw.json",
        "/sites/{}/",
        "/groups/{}/",
        "/tickets/{}/",
        "/me/entries/{}/",
    ]


def _bodies(valid: dict[str, Any]) -> list[Any]:
    """The valid body with each field (and each member's field) spoiled, plus
    bodies of the wrong shape altogether."""
    bodies: list[Any] = [None, [], "x", 1, {"unexpected": 1}]
    for key, good in valid.items():
        for bad in [*TEXTS[:4], *WRONG_TYPES]:
            bodies.append({**valid, key: bad})
        if isinstance(good, list) and good and isinstance(good[0], dict):
            for inner in good[0]:
                for bad in ("\x00", LONG, None, 10**30, []):
                    bodies.append({**valid, key: [{**good[0], inner: bad}]})
        if isinstance(good, list):
            bodies.append({**valid, key: [good[0] if good else 1] * 5000})
    return bodies


def test_no_api_call_answers_a_hostile_value_with_a_server_error(world):
    found = Findings()
    headers: dict[str, dict[str, Any]] = {
        "anon": {},
        "visitor": api_token_headers(make_visitor("+8613900000077", sequence=777).user),
        "owner": api_token_headers(world["entries"][0].visitor.user),
        "offered": api_token_headers(world["entries"][1].visitor.user),
        "staff": api_token_headers(world["admin"]),
    }
    client = _client()
    for who, method, path, valid in _api_writes(world):
        send = getattr(client, method)
        for body in _bodies(valid):
            response = send(path, json.dumps(body), content_type="application/json", **headers[who])
            found.check(response, f"{method} {path} {json.dumps(body)[:80]}")
        for raw in (b"\xff\xfe\x00", b"{", b'{"a": NaN}', b"[" * 10_000, b'"\\u0000"'):
            response = send(path, raw, content_type="application/json", **headers[who])
            found.check(response, f"{method} {path} raw {raw[:20]!r}")
    for template in _api_reads(world):
        for value in ("%00", "a%00b", "x" * 5000, "%E2%80%AE", "-1", "99999999999999999999", "%FF"):
            for who in ("anon", "owner", "staff"):
                found.check(
                    client.get(template.format(value), **headers[who]), f"{template} {value[:20]}"
                )
    assert not found.errors, f"{len(found.errors)} of {found.requests}:\n" + "\n".join(found.errors)
