import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sunshine.core.ids import (
    InvalidIdNumber,
    check_character,
    make_id_number,
    mask_id_number,
    mask_phone,
    mask_text,
    parse_id_number,
)


def test_known_good_and_bad_check_characters():
    assert parse_id_number("11010519491231002X").number == "11010519491231002X"
    with pytest.raises(InvalidIdNumber, match="校验位"):
        parse_id_number("110105194912310021")


def test_lower_case_x_is_normalised():
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


def test_fifteen_digit_legacy_number_is_converted():
    info = parse_id_number("110105491231002")
    assert info.number == "11010519491231002X"
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.gender == "女"  # sequence 002 is even


@pytest.mark.parametrize("raw", ["", "123", "11010519491331002X", "1101051949123100XX", None, "abcdefghijklmnopqr"])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(InvalidIdNumber):
        parse_id_number(raw)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999))
def test_generated_numbers_round_trip(birth, seq):
    number = make_id_number("320321", birth, seq)
    info = parse_id_number(number)
    assert info.birth_date == birth
    assert info.gender == ("男" if seq % 2 else "女")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InvalidIdNumber):
        parse_id_number(wrong)


def test_check_character_matches_standard_example():
    assert check_character("11010519491231002") == "X"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_is_the_standards_weighted_sum(first17):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert check_character(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("first17", ["1101051949123100", "1101051949123100２", "110105194912310٠2",
                                     "1101051949123100a"])
def test_check_character_wants_seventeen_ascii_digits(first17):
    with pytest.raises(ValueError, match="17 digits"):
        check_character(first17)


@pytest.mark.parametrize("raw", ["１１０１０５１９４９１２３１００２Ｘ", "110105194912310٠2X", "11010５491231002"])
def test_digits_of_other_scripts_are_not_an_id_number(raw):
    # Callers that accept full-width input (the importers) translate it first; the core parser refuses it
    # rather than store a "normalised" number with non-ASCII digits.
    with pytest.raises(InvalidIdNumber, match="18位"):
        parse_id_number(raw)


def test_a_birth_date_after_today_is_refused():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        parse_id_number(make_id_number("320321", tomorrow, 1))
    assert parse_id_number(make_id_number("320321", dt.date.today(), 1)).birth_date == dt.date.today()


def test_masking():
    assert mask_id_number("32032119800101123X") == "320321********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_text("id 32032119800101123X here") == "id 320321********123X here"
