"""sunshine.engine.comparison.idhash: the hash a department computes, and the vectorised ID rules agreeing with
sunshine.core.ids on every input (valid, 15-digit, wrong check digit, bad dates, junk)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import subprocess
import sys

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunshine.core.ids import InvalidIdNumber, make_id_number, parse_id_number
from sunshine.engine.comparison import idhash

VALID = make_id_number("320321", dt.date(1970, 5, 17), 11)


def test_id_hash_is_hmac_sha256_of_the_normalised_id():
    expected = hmac.new(b"k", VALID.encode(), hashlib.sha256).hexdigest()
    assert idhash.id_hash(VALID, "k") == expected == idhash.id_hash(f" {VALID.lower()} ", b"k")
    fifteen = VALID[:6] + VALID[8:17]
    assert idhash.id_hash(fifteen, "k") == expected
    assert expected == expected.lower() and len(expected) == 64
    with pytest.raises(InvalidIdNumber):
        idhash.id_hash(VALID[:17] + ("1" if VALID[17] != "1" else "2"), "k")


def test_key_bytes_and_fingerprint():
    assert idhash.key_bytes("hex:00ff") == b"\x00\xff"
    assert idhash.key_bytes("密钥") == "密钥".encode()
    assert idhash.id_hash(VALID, "hex:6b") == idhash.id_hash(VALID, "k")
    assert idhash.key_fingerprint("k") == hashlib.sha256(b"k").hexdigest()[:16]
    for bad in ("", "hex:zz", "hex:"):
        with pytest.raises(ValueError, match="密钥"):
            idhash.key_bytes(bad)


def test_hash_ids_keeps_nulls_and_nulls_invalid_ids():
    values = pa.array([VALID, None, "123", VALID[:6] + VALID[8:17]])
    assert idhash.hash_ids(values, "k").to_pylist() == [idhash.id_hash(VALID, "k"), None, None,
                                                         idhash.id_hash(VALID, "k")]
    assert idhash.hash_ids(pa.chunked_array([values[:2], values[2:]]), "k").to_pylist()[3] is not None


def _expected(text: str | None) -> tuple[str | None, dt.date | None, str | None]:
    try:
        info = parse_id_number(text) if text is not None else None
    except InvalidIdNumber:
        info = None
    if info is None:
        return None, None, None
    return info.number, info.birth_date, {"男": "male", "女": "female"}[info.gender]


ids = st.builds(lambda b, s: make_id_number("320321", b, s),
                st.dates(dt.date(1890, 1, 1), dt.date.today()), st.integers(0, 999))
mutated = st.one_of(
    ids,
    ids.map(lambda i: i[:6] + i[8:17]),                               # 15 digits
    ids.map(lambda i: f" {i.lower()} "),
    st.tuples(ids, st.sampled_from("0123456789Xx")).map(lambda t: t[0][:17] + t[1]),
    st.tuples(ids, st.integers(6, 13), st.sampled_from("0123456789"))
    .map(lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:]),                # a date digit changed
    st.text(alphabet="0123456789Xx ", min_size=0, max_size=20),
    st.text(max_size=20),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(mutated, min_size=1, max_size=40))
def test_parse_ids_agrees_with_core_ids(values):
    parsed = idhash.parse_ids(pa.array(values, type=pa.string()))
    got = list(zip(parsed.number.to_pylist(), parsed.birth_date.to_pylist(), parsed.gender.to_pylist(), strict=True))
    for value, (number, birth, gender), valid in zip(values, got, parsed.valid.tolist(), strict=True):
        want = _expected(value)
        assert number == want[0] and valid == (want[0] is not None), value
        if number is not None:
            assert (birth, gender) == want[1:], value


def test_birth_date_and_gender_of_invalid_ids():
    wrong_check = VALID[:17] + ("1" if VALID[17] != "1" else "2")
    future = "320321" + f"{dt.date.today().year + 1}0101" + "0015"
    parsed = idhash.parse_ids(pa.array([wrong_check, "32032119701332001X", future, "1234", None]))
    assert parsed.number.to_pylist() == [None] * 5
    assert parsed.birth_date.to_pylist() == [dt.date(1970, 5, 17), None, None, None, None]
    assert parsed.gender.to_pylist() == ["male", None, None, None, None]


def test_idhash_imports_no_django():
    code = ("import sys, sunshine.engine.comparison.idhash; "
            "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
