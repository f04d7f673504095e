from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tourdraw.people import sign_in
from tourdraw.people.models import SignInCode, Visitor

PHONE = "+8613912345678"


def _code_from(sent) -> str:
    body = sent[-1].body
    return next(
        word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6
    )


def _request(phone: str = PHONE, **kwargs):
    return sign_in.request_code(sign_in.parse_phone(phone), language="en", **kwargs)


def _verify(code: str, phone: str = PHONE, **kwargs):
    return sign_in.verify_code(sign_in.parse_phone(phone), code, language="en", **kwargs)


def test_it_texts_a_six_digit_code_through_the_sms_channel(
    db, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    assert len(sent) == 1
    assert sent[0].kind == "sms"
    assert sent[0].to == PHONE
    assert len(_code_from(sent)) == 6


def test_it_stores_only_a_hash_of_the_code(db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    code = _code_from(sent)
    stored = SignInCode.objects.get()
    assert code not in stored.code_hash


def test_the_right_code_signs_in_and_registers_a_new_visitor(
    db, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    user = _verify(_code_from(sent))
    assert Visitor.objects.get(user=user).phone == PHONE


def test_a_code_works_only_once(db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    code = _code_from(sent)
    _verify(code)
    with pytest.raises(sign_in.SignInError) as error:
        _verify(code)
    assert error.value.code == "code_used"
    assert "already been used" in str(error.value)


def test_a_code_expires_after_ten_minutes(db, sent, django_capture_on_commit_callbacks):
    issued = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _request(now=issued)
    code = _code_from(sent)
    with pytest.raises(sign_in.SignInError) as error:
        _verify(code, now=issued + timedelta(minutes=10))
    assert error.value.code == "code_expired"
    assert "expired" in str(error.value)


def test_a_code_still_works_just_before_ten_minutes(db, sent, django_capture_on_commit_callbacks):
    issued = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _request(now=issued)
    assert _verify(_code_from(sent), now=issued + timedelta(minutes=9, seconds=59))


def test_a_wrong_code_says_how_many_tries_are_left(db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    wrong = "000000" if _code_from(sent) != "000000" else "111111"
    with pytest.raises(sign_in.SignInError) as error:
        _verify(wrong)
    assert error.value.code == "code_wrong"
    assert str(error.value) == "The code is wrong. 4 tries left."


def test_after_five_wrong_tries_even_the_right_code_is_refused(
    db, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    code = _code_from(sent)
    wrong = "000000" if code != "000000" else "111111"
    codes = []
    for _ in range(5):
        with pytest.raises(sign_in.SignInError) as error:
            _verify(wrong)
        codes.append(error.value.code)
    assert codes == ["code_wrong"] * 4 + ["too_many_tries"]
    with pytest.raises(sign_in.SignInError) as error:
        _verify(code)
    assert error.value.code == "too_many_tries"
    assert "Too many wrong codes" in str(error.value)


def test_a_new_code_leaves_the_earlier_one_working(db, sent, django_capture_on_commit_callbacks):
    """Anyone may ask for a code for any number: the request must not void the
    code the owner is typing."""
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    first = _code_from(sent)
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    assert _verify(first)
    second = _code_from(sent)
    with pytest.raises(sign_in.SignInError) as error:
        _verify(second)
    assert error.value.code == "code_used"  # signing in used up every live code


def test_it_refuses_a_code_never_requested(db):
    with pytest.raises(sign_in.SignInError) as error:
        _verify("123456")
    assert error.value.code == "code_not_requested"


def test_it_rejects_an_invalid_phone_number(db):
    with pytest.raises(sign_in.SignInError) as error:
        sign_in.parse_phone("12345")
    assert error.value.code == "phone_invalid"
    assert error.value.field == "phone"
    assert "12345 is not a valid phone number" in str(error.value)


def test_it_accepts_a_mainland_mobile_without_country_code(db):
    assert sign_in.parse_phone("139 1234 5678").as_e164 == PHONE


def test_the_sign_in_pages_sign_a_visitor_in(client, db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:sign_in"), {"phone": "13912345678"})
    assert response.status_code == 302
    response = client.post(reverse("web:sign_in_code"), {"code": _code_from(sent)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:profile"))
    assert client.get(reverse("web:my_entries")).status_code == 200


def test_requests_for_codes_are_limited_per_phone(client, db, settings):
    settings.TOURDRAW_SIGN_IN_RATE_PER_PHONE = "3/h"
    for _ in range(3):
        assert client.post(reverse("web:sign_in"), {"phone": PHONE}).status_code == 302
    response = client.post(reverse("web:sign_in"), {"phone": PHONE})
    assert response.status_code == 200
    assert "Too many codes were requested" in response.content.decode()
    assert SignInCode.objects.count() == 3
    other_ip = client.post(reverse("web:sign_in"), {"phone": PHONE}, REMOTE_ADDR="10.0.0.9")
    assert "Too many codes were requested" in other_ip.content.decode()


def test_requests_for_codes_are_limited_per_ip(client, db, settings):
    settings.TOURDRAW_SIGN_IN_RATE_PER_IP = "3/h"
    for number in range(3):
        response = client.post(reverse("web:sign_in"), {"phone": f"+861391234560{number}"})
        assert response.status_code == 302
    response = client.post(reverse("web:sign_in"), {"phone": "+8613912345699"})
    assert "Too many codes were requested" in response.content.decode()
    other_ip = client.post(
        reverse("web:sign_in"), {"phone": "+8613912345699"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 302


def test_it_rejects_an_empty_or_unreadable_phone_number(db):
    for raw in ("", "   ", "not a number"):
        with pytest.raises(sign_in.SignInError) as error:
            sign_in.parse_phone(raw)
        assert error.value.code == "phone_invalid"


def test_a_sign_in_session_from_before_the_number_was_sealed_starts_over(client, db):
    from django.urls import reverse

    session = client.session
    session["sign_in_phone"] = "+8613912345678"  # as stored before the upgrade
    session.save()
    response = client.get(reverse("web:sign_in_code"))
    assert response.status_code == 302 and response["Location"] == reverse("web:sign_in")
