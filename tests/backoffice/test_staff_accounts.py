"""Staff accounts, attacked as the issue's attacker did: guessing passwords,
weak passwords, a password without the second factor, a session kept for days."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support import make_party_entry, make_round, present, sign_in_staff
from tourdraw.audit.models import LogEntry
from tourdraw.lottery.models import Round
from tourdraw.people import second_factor
from tourdraw.people.models import User

PASSWORD = "op-pass-123"  # make_staff's password for "op"


def _sign_in(client, username, password, address="203.0.113.7", url=None):
    return client.post(
        url or reverse("backoffice:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    # The app's code now, or a step ahead (inside the device's tolerance), since
    # a code once accepted is never accepted again.
    return f"{totp(device.bin_key, step=device.step, drift=steps_ahead):06d}"


def test_a_hundred_wrong_passwords_from_a_hundred_addresses_lock_the_account(client, site_operator):
    for n in range(100):
        _sign_in(client, "op", f"guess-{n}", address=f"198.51.100.{n + 1}")
    response = _sign_in(client, "op", PASSWORD, address="203.0.113.99")
    assert response.status_code == 429
    assert not _signed_in(client)
    assert "Sign-in locked" in response.content.decode()


def test_one_address_guessing_many_accounts_is_locked_out_for_every_account(client, site_operator):
    for n in range(100):
        _sign_in(client, f"user{n}", "password123")
    assert _sign_in(client, "op", PASSWORD).status_code == 429
    assert not _signed_in(client)


def test_fifty_wrong_passwords_on_the_admin_login_then_the_right_one_is_refused(
    client, db, superuser
):
    admin_login = reverse("admin:login")
    for n in range(50):
        _sign_in(client, "root", f"guess-{n}", address=f"198.51.100.{n + 1}", url=admin_login)
    response = _sign_in(client, "root", "root-pass-123", url=admin_login)
    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_few_typos_do_not_lock_anyone_out(client, site_operator):
    for n in range(3):
        _sign_in(client, "op", f"typo-{n}")
    assert _sign_in(client, "op", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_staff_land_on_the_back_office_after_signing_in(client, site_operator):
    response = _sign_in(client, "op", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:index")


def test_the_password_1_is_refused_when_an_admin_creates_a_staff_account(client, db, superuser):
    sign_in_staff(client, superuser)
    response = client.post(
        reverse("admin:people_user_add"),
        {"username": "gate7", "usable_password": "true", "password1": "1", "password2": "1"},
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(username="gate7").exists()


def test_a_password_without_the_second_factor_opens_no_back_office_admin_or_api(
    client, site_operator
):
    # An open round with an entry, ready to close: a closed round never opens
    # again (its seal), so the test starts from an open one.
    round = make_round()
    make_party_entry(round, 1000, 2, [present(round.slots.first()).pk])
    assert round.state == Round.State.OPEN
    site_operator.is_staff = True
    site_operator.save()
    assert _sign_in(client, "op", PASSWORD).status_code == 302
    assert _signed_in(client)
    enrol = reverse("backoffice:enrol")
    for url in (reverse("backoffice:index"), reverse("backoffice:call_centre"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("backoffice:second_factor")), url
        assert client.get(response["Location"])["Location"].startswith(enrol)
    closing = client.post(
        reverse("backoffice:round_action", args=[round.pk]), {"action": "close", "confirm": "yes"}
    )
    assert closing.status_code == 302
    assert Round.objects.get(pk=round.pk).state == Round.State.OPEN
    api = client.post(f"/api/v1/operator/rounds/{round.code}/close")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    assert Round.objects.get(pk=round.pk).state == Round.State.OPEN


def test_enrolment_shows_a_qr_and_gives_recovery_codes_that_work_once(client, site_operator):
    _sign_in(client, "op", PASSWORD)
    page = client.get(reverse("backoffice:enrol"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=site_operator, confirmed=False)
    done = client.post(reverse("backoffice:enrol"), {"token": _code(device)})
    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get(reverse("backoffice:index")).status_code == 200
    assert LogEntry.objects.filter(action="tourdraw.staff.second_factor_enrolled").exists()

    client.logout()
    _sign_in(client, "op", PASSWORD)
    client.post(reverse("backoffice:second_factor"), {"token": codes[0]})
    assert client.get(reverse("backoffice:index")).status_code == 200

    client.logout()
    _sign_in(client, "op", PASSWORD)
    reused = client.post(reverse("backoffice:second_factor"), {"token": codes[0]})
    assert "That code is not right" in reused.content.decode()
    assert client.get(reverse("backoffice:index")).status_code == 302


def test_a_wrong_code_does_not_enrol(client, site_operator):
    _sign_in(client, "op", PASSWORD)
    client.get(reverse("backoffice:enrol"))
    wrong = client.post(reverse("backoffice:enrol"), {"token": "000000"})
    assert "not the one the app shows" in wrong.content.decode()
    assert not second_factor.is_enrolled(site_operator)
    assert client.get(reverse("backoffice:index")).status_code == 302


def test_an_enrolled_account_cannot_be_enrolled_again_with_a_new_key(client, site_operator):
    sign_in_staff(client, site_operator)
    client.logout()
    _sign_in(client, "op", PASSWORD)
    response = client.get(reverse("backoffice:enrol"))
    assert response["Location"].startswith(reverse("backoffice:second_factor"))
    assert not TOTPDevice.objects.filter(user=site_operator, confirmed=False).exists()


def test_guessing_the_six_digits_is_throttled(client, site_operator):
    sign_in_staff(client, site_operator)
    device = TOTPDevice.objects.get(user=site_operator, confirmed=True)
    client.logout()
    _sign_in(client, "op", PASSWORD)
    for guess in ("111111", "222222", "333333"):
        client.post(reverse("backoffice:second_factor"), {"token": guess})
    # The right code, straight after the wrong ones, is refused until the wait is over.
    client.post(reverse("backoffice:second_factor"), {"token": _code(device, 1)})
    assert client.get(reverse("backoffice:index")).status_code == 302


def test_hostile_codes_get_a_message_not_an_error(client, site_operator):
    sign_in_staff(client, site_operator)
    client.logout()
    _sign_in(client, "op", PASSWORD)
    for token in ("\x00" * 6, "x" * 10_000, "１２３４５６", "12345\n6"):
        response = client.post(reverse("backoffice:second_factor"), {"token": token})
        # NUL is refused at the edge (400); the rest by the form, next to the field.
        assert response.status_code == 400 if "\x00" in token else response.context["form"].errors
    assert client.get(reverse("backoffice:index")).status_code == 302


def test_a_staff_session_ends_after_a_working_day(client, site_operator, monkeypatch):
    sign_in_staff(client, site_operator)
    assert client.get(reverse("backoffice:index")).status_code == 200
    signed_in_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: signed_in_at + timedelta(hours=9, minutes=1))
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))


def test_a_visitor_session_still_lasts(client, visitor, monkeypatch):
    client.force_login(visitor.user)
    signed_in_at = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: signed_in_at + timedelta(days=7))
    assert client.get(reverse("web:profile")).status_code == 200


def test_the_demo_operator_is_enrolled_and_told_how_to_get_a_code(db, capsys):
    from django.core.management import call_command

    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    operator = User.objects.get(username="operator")
    assert second_factor.is_enrolled(operator)
    assert "authenticator app" in out
    assert second_factor.recovery_codes_left(operator) == second_factor.RECOVERY_CODES
