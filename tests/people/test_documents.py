import calendar
import itertools
from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tourdraw.errors import Code, DomainError
from tourdraw.people.documents import (
    DOCUMENT_TYPE_CHOICES,
    Document,
    DocumentError,
    DocumentType,
    age_on,
    mask,
    normalize,
    validate,
)

TODAY = date(2024, 6, 15)
KNOWN_VALID = "11010519491231002X"

# Written out from the specification rather than imported, so a slip in the
# module's table cannot agree with itself.
REGION_CODES = [
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
    83,
]
# ISO 7064 MOD 11-2 from its definition: position i (0-based) of the 17
# digits weighs 2**(17 - i) mod 11, the check character weighs 1.
WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def check_character(first_17: str) -> str:
    remainder = sum(int(c) * w for c, w in zip(first_17, WEIGHTS, strict=True)) % 11
    value = (12 - remainder) % 11  # makes the weighted sum, check included, 1 mod 11
    return "X" if value == 10 else str(value)


def resident_id(region: int, birth: date, sequence: int = 1, area: str = "0101") -> str:
    first_17 = f"{region:02d}{area}{birth:%Y%m%d}{sequence:03d}"
    return first_17 + check_character(first_17)


def checksum_holds(number: str) -> bool:
    return number[:17].isdigit() and check_character(number[:17]) == number[17]


def rejection(doc_type: str, number: str, birth_date: date | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        validate(doc_type, number, birth_date, today=TODAY)
    return caught.value


def full_width(text: str) -> str:
    # What a Chinese input method in full-width mode types for ASCII text.
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def rendered(error: DocumentError) -> str:
    # The project default language is Chinese; the msgids are English.
    with translation.override("en"):
        return str(error.message)


valid_resident_ids = st.builds(
    resident_id,
    region=st.sampled_from(REGION_CODES),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
    area=st.from_regex(r"[0-9]{4}", fullmatch=True),
)


# --- resident ID card: valid numbers -------------------------------------


def test_the_test_check_character_agrees_with_a_known_valid_number() -> None:
    assert check_character(KNOWN_VALID[:17]) == "X"
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_it_accepts_a_known_valid_resident_id_and_reads_the_birth_date() -> None:
    document = validate("cn_resident", KNOWN_VALID, None, today=TODAY)

    assert document == Document(DocumentType.CN_RESIDENT, KNOWN_VALID, date(1949, 12, 31))
    assert document.doc_type is DocumentType.CN_RESIDENT


def test_it_accepts_a_lowercase_x_and_spaces_anywhere() -> None:
    document = validate("cn_resident", " 110105 1949 1231 002x ", None, today=TODAY)

    assert document.number == KNOWN_VALID


def test_it_accepts_full_width_characters_from_a_chinese_input_method() -> None:
    document = validate("cn_resident", full_width("11010519491231002x"), None, today=TODAY)

    assert document.number == KNOWN_VALID


def test_it_accepts_someone_born_today() -> None:
    number = resident_id(11, TODAY)

    assert validate("cn_resident", number, None, today=TODAY).birth_date == TODAY


def test_it_accepts_an_entered_birth_date_that_matches_the_number() -> None:
    document = validate("cn_resident", KNOWN_VALID, date(1949, 12, 31), today=TODAY)

    assert document.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("region", range(100))
def test_it_knows_exactly_the_province_level_region_codes(region: int) -> None:
    number = resident_id(region, date(1990, 1, 1))

    if region in REGION_CODES:
        assert validate("cn_resident", number, None, today=TODAY).number == number
    else:
        assert rejection("cn_resident", number).code == "cn_id_region"


@given(valid_resident_ids)
def test_any_well_formed_resident_id_is_accepted_with_its_birth_date(number: str) -> None:
    document = validate("cn_resident", number, None, today=TODAY)

    assert document.number == number
    assert f"{document.birth_date:%Y%m%d}" == number[6:14]


@given(valid_resident_ids, st.data())
def test_lowercase_and_spacing_do_not_change_the_normalised_number(
    number: str, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=18), max_size=5))
    spaced = number.lower()
    for cut in sorted(cuts, reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]

    assert normalize("cn_resident", spaced) == number
    assert validate("cn_resident", spaced, None, today=TODAY).number == number


# --- resident ID card: each rule ------------------------------------------


@pytest.mark.parametrize(
    "number", ["", "1101051949123100", "11010519491231002", "11010519491231002X1"]
)
def test_it_rejects_a_resident_id_of_the_wrong_length_and_says_how_long_it_was(
    number: str,
) -> None:
    error = rejection("cn_resident", number)

    assert error.code == "cn_id_length"
    assert error.field == "id_number"
    assert "18 characters" in rendered(error)
    assert f"this one has {len(number)}" in rendered(error)


@pytest.mark.parametrize(
    "number", ["11010519491231002Y", "1101051949A231002X", "X10105194912310021"]
)
def test_it_rejects_letters_other_than_a_final_x(number: str) -> None:
    error = rejection("cn_resident", number)

    assert error.code == "cn_id_characters"
    assert "17 digits" in rendered(error)
    assert "X" in rendered(error)


def test_it_rejects_an_unknown_region_and_names_it() -> None:
    error = rejection("cn_resident", resident_id(99, date(1990, 1, 1)))

    assert error.code == "cn_id_region"
    assert "99" in rendered(error)
    assert "typo" in rendered(error)


@pytest.mark.parametrize("digits", ["19901301", "19900230", "20230229", "19900100", "18991231"])
def test_it_rejects_a_birth_date_that_is_not_a_real_date_from_1900_on(digits: str) -> None:
    first_17 = f"110101{digits}001"
    error = rejection("cn_resident", first_17 + check_character(first_17))

    assert error.code == "cn_id_birth_date"
    assert error.field == "id_number"
    assert digits in rendered(error)


def test_it_accepts_a_29_february_birth_in_a_leap_year() -> None:
    number = resident_id(11, date(2020, 2, 29))

    assert validate("cn_resident", number, None, today=TODAY).birth_date == date(2020, 2, 29)


def test_it_rejects_a_birth_date_in_the_future() -> None:
    error = rejection("cn_resident", resident_id(11, TODAY + timedelta(days=1)))

    assert error.code == "cn_id_birth_date_future"
    assert "2024-06-16" in rendered(error)
    assert "future" in rendered(error)


def test_it_rejects_a_wrong_check_digit() -> None:
    error = rejection("cn_resident", "110105194912310021")

    assert error.code == "cn_id_checksum"
    assert error.field == "id_number"
    assert rendered(error) == "The last character does not match: check the number for a typo."


def test_it_rejects_an_entered_birth_date_that_differs_from_the_number() -> None:
    error = rejection("cn_resident", KNOWN_VALID, date(1949, 12, 30))

    assert error.code == "birth_date_mismatch"
    assert error.field == "birth_date"
    assert "1949-12-31" in rendered(error)


# --- resident ID card: what the check character guarantees ---------------


@given(valid_resident_ids)
def test_every_single_character_change_is_rejected(number: str) -> None:
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == number[position]:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            # MOD 11-2 alone catches it (11 is prime and no weight is 0 mod 11)...
            assert not checksum_holds(changed), changed
            # ...so the validator rejects it, whichever rule speaks first.
            with pytest.raises(DocumentError):
                validate("cn_resident", changed, None, today=TODAY)


def test_consecutive_weights_differ_which_is_why_adjacent_swaps_are_caught() -> None:
    weights_with_check = [*WEIGHTS, 1]

    assert all((a - b) % 11 != 0 for a, b in itertools.pairwise(weights_with_check))


@given(valid_resident_ids)
def test_every_adjacent_transposition_is_rejected(number: str) -> None:
    for position in range(17):
        a, b = number[position], number[position + 1]
        if a == b:
            continue
        swapped = number[:position] + b + a + number[position + 2 :]
        if "X" not in (a, b):
            assert not checksum_holds(swapped), swapped
        with pytest.raises(DocumentError):
            validate("cn_resident", swapped, None, today=TODAY)


def test_the_checksum_cannot_see_a_swap_of_digits_ten_places_apart() -> None:
    # 2 has order 10 modulo 11, so positions 10 apart carry the same weight:
    # the guarantee is for adjacent swaps, not for every swap.
    number = resident_id(11, date(1990, 1, 1), sequence=500, area="0101")
    swapped = number[:4] + number[14] + number[5:14] + number[4] + number[15:]

    assert (number[4], number[14]) == ("0", "5")
    assert WEIGHTS[4] == WEIGHTS[14]
    assert validate("cn_resident", swapped, None, today=TODAY).number == swapped


# --- travel permits and passports ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("H12345678", "H12345678"),
        ("M87654321", "M87654321"),
        ("h 1234 5678", "H12345678"),
        ("H1234567801", "H1234567801"),
        ("m1234567801", "M1234567801"),
    ],
)
def test_it_accepts_hong_kong_and_macao_permits(raw: str, normalised: str) -> None:
    document = validate("hk_mo_permit", raw, date(1980, 5, 1), today=TODAY)

    assert document == Document(DocumentType.HK_MO_PERMIT, normalised, date(1980, 5, 1))


@pytest.mark.parametrize(
    "raw",
    ["H1234567", "H123456789", "H12345678901", "12345678", "A12345678", "HM2345678", "H1234567X"],
)
def test_it_rejects_malformed_hong_kong_and_macao_permits_with_an_example(raw: str) -> None:
    error = rejection("hk_mo_permit", raw, date(1980, 5, 1))

    assert error.code == "hk_mo_permit_format"
    assert error.field == "id_number"
    assert "H12345678" in rendered(error)
    assert "8 or 10 digits" in rendered(error)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("12345678", "12345678"),
        ("1234 5678", "12345678"),
        ("12345678(B)", "12345678B"),
        ("12345678" + full_width("(b)"), "12345678B"),
        ("12345678B", "12345678B"),
        ("12345678(12)", "1234567812"),
    ],
)
def test_it_accepts_taiwan_permits_old_and_new(raw: str, normalised: str) -> None:
    document = validate("tw_permit", raw, date(1975, 1, 31), today=TODAY)

    assert document.number == normalised


@pytest.mark.parametrize(
    "raw", ["1234567", "A1234567", "1234567B", "12345678ABC", "123456789012345678", "12345678-B"]
)
def test_it_rejects_malformed_taiwan_permits_with_an_example(raw: str) -> None:
    error = rejection("tw_permit", raw, date(1975, 1, 31))

    assert error.code == "tw_permit_format"
    assert "8 digits" in rendered(error)
    assert "12345678(B)" in rendered(error)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("E12345678", "E12345678"),
        ("e1234 5678", "E12345678"),
        ("12345", "12345"),
        ("A" * 20, "A" * 20),
    ],
)
def test_it_accepts_passports_of_5_to_20_letters_and_digits(raw: str, normalised: str) -> None:
    assert validate("passport", raw, date(1990, 7, 4), today=TODAY).number == normalised


@pytest.mark.parametrize("raw", ["", "E123", "A" * 21, "E1234-567", "护照12345", "E12345.67"])
def test_it_rejects_other_passport_numbers(raw: str) -> None:
    error = rejection("passport", raw, date(1990, 7, 4))

    assert error.code == "passport_format"
    assert "5 to 20" in rendered(error)


# --- entered birth dates ---------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "number"),
    [("hk_mo_permit", "H12345678"), ("tw_permit", "12345678"), ("passport", "E12345678")],
)
def test_other_documents_need_an_entered_birth_date(doc_type: str, number: str) -> None:
    error = rejection(doc_type, number, None)

    assert error.code == "birth_date_required"
    assert error.field == "birth_date"
    assert "date of birth" in rendered(error)


def test_it_rejects_an_entered_birth_date_in_the_future() -> None:
    error = rejection("passport", "E12345678", TODAY + timedelta(days=1))

    assert error.code == "birth_date_future"
    assert error.field == "birth_date"
    assert "future" in rendered(error)


def test_it_rejects_an_entered_birth_date_before_1900() -> None:
    error = rejection("passport", "E12345678", date(1899, 12, 31))

    assert error.code == "birth_date_invalid"
    assert "1900" in rendered(error)


@pytest.mark.parametrize("birth_date", [date(1900, 1, 1), TODAY])
def test_it_accepts_entered_birth_dates_at_the_edges(birth_date: date) -> None:
    assert validate("passport", "E12345678", birth_date, today=TODAY).birth_date == birth_date


def test_a_bad_number_is_reported_before_a_missing_birth_date() -> None:
    assert rejection("passport", "E1", None).code == "passport_format"


# --- document types --------------------------------------------------------


def test_it_rejects_an_unknown_document_type() -> None:
    error = rejection("driving_licence", "E12345678", date(1990, 7, 4))

    assert error.code == "id_type_unknown"
    assert error.field == "id_type"
    assert "type of ID document" in rendered(error)


def test_normalize_also_rejects_an_unknown_document_type() -> None:
    with pytest.raises(DocumentError) as caught:
        normalize("", "E12345678")

    assert caught.value.code == "id_type_unknown"


def test_document_type_values_stay_what_the_database_holds() -> None:
    assert [kind.value for kind in DocumentType] == [
        "cn_resident",
        "hk_mo_permit",
        "tw_permit",
        "passport",
    ]


def test_choices_offer_every_document_type_with_an_english_label() -> None:
    with translation.override("en"):
        labels = {value: str(label) for value, label in DOCUMENT_TYPE_CHOICES}

    assert list(labels) == [kind.value for kind in DocumentType]
    assert labels["cn_resident"] == "Mainland resident ID card"
    assert "Hong Kong and Macao" in labels["hk_mo_permit"]
    assert "Taiwan" in labels["tw_permit"]
    assert labels["passport"] == "Passport"


def test_a_document_error_is_a_domain_error_whose_text_is_only_the_code() -> None:
    error = rejection("cn_resident", resident_id(11, TODAY + timedelta(days=1)))

    assert isinstance(error, DomainError) and error.code is Code.CN_ID_BIRTH_DATE_FUTURE
    # Logged exceptions must not carry digits of someone's ID number.
    assert str(error) == "cn_id_birth_date_future"


# --- masks -----------------------------------------------------------------


def test_a_resident_id_mask_shows_only_the_last_4() -> None:
    # The first six (region) and the birth date are what made the old mask
    # rebuildable; none of them may show.
    assert mask("110101199001011234") == "******1234"
    assert mask(KNOWN_VALID) == "******002X"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("H12345678", "******678"),
        ("H1234567801", "******801"),
        ("12345678", "******78"),
        ("12345678B", "******78B"),
        ("E1234", "******4"),
        ("E12345678", "******678"),
    ],
)
def test_other_masks_show_at_most_a_third_of_the_tail(number: str, masked: str) -> None:
    assert mask(number) == masked


@given(st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True))
def test_a_mask_shows_no_head_at_most_4_of_the_tail_and_hides_the_length(number: str) -> None:
    masked = mask(number)
    shown = masked.lstrip("*")

    assert masked.startswith("******")
    assert len(masked) - len(shown) == 6
    assert number.endswith(shown)
    assert len(shown) <= 4 and 3 * len(shown) <= len(number)


# --- age -------------------------------------------------------------------


def test_a_child_is_five_the_day_before_the_sixth_birthday_and_six_on_it() -> None:
    born = date(2018, 6, 15)

    assert age_on(born, date(2024, 6, 14)) == 5
    assert age_on(born, date(2024, 6, 15)) == 6


def test_someone_born_on_29_february_ages_on_1_march_in_common_years() -> None:
    born = date(2016, 2, 29)

    assert age_on(born, date(2022, 2, 28)) == 5
    assert age_on(born, date(2022, 3, 1)) == 6
    assert age_on(born, date(2024, 2, 28)) == 7
    assert age_on(born, date(2024, 2, 29)) == 8


def test_age_is_zero_on_the_day_of_birth() -> None:
    assert age_on(date(2024, 6, 15), date(2024, 6, 15)) == 0


def is_birthday(born: date, day: date) -> bool:
    if (born.month, born.day) == (2, 29) and not calendar.isleap(day.year):
        return (day.month, day.day) == (3, 1)
    return (day.month, day.day) == (born.month, born.day)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=1, max_value=40_000),
)
def test_age_goes_up_by_one_exactly_on_each_birthday(born: date, days: int) -> None:
    day = born + timedelta(days=days)

    step = age_on(born, day) - age_on(born, day - timedelta(days=1))

    assert step == (1 if is_birthday(born, day) else 0)
