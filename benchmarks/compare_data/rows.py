"""Vectorised building blocks: day numbers, ID numbers with their check characters, Arrow columns, people
outside the registry, and a department table in its stored schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine.comparison.datasets import arrow_schema
from sunshine.engine.snapshot import decimal_from_cents

EPOCH = np.datetime64("1970-01-01", "D")


def day(text: str) -> int:
    """Days since 1970-01-01 (the int32 behind date32)."""
    return int((np.datetime64(text, "D") - EPOCH).astype(np.int64))


YEAR = 2020
JAN1, CHECK, NEXT = day("2020-01-01"), day("2020-12-31"), day("2021-01-01")
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int32)
CHECK_CHARS = np.frombuffer(b"10X98765432", np.uint8)
# 13 cities × 4 counties × 15 townships × 20 villages; county codes 320101 … 321304.
COUNTIES = np.array([320000 + c * 100 + k for c in range(1, 14) for k in range(1, 5)], np.int64)
OTHER_COUNTIES = np.array([110101, 310104, 340102, 370102, 410102, 420102, 510104, 530102], np.int64)
VILLAGE_CODES = (np.repeat(COUNTIES, 300) * 10**6 + np.tile(np.repeat(np.arange(1, 16), 20) * 1000
                                                              + np.tile(np.arange(1, 21), 15), len(COUNTIES)))
OUTSIDE_SEQUENCE = 500  # registry IDs use sequence numbers below it, everyone else 500 and above
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏浩宇轩然梓涵欣怡子豪博文晨阳建国志"


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    return (d.astype("datetime64[Y]").astype(np.int64) + 1970, months.astype(np.int64) % 12 + 1,
            (d - months).astype(np.int64) + 1)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) decimal digits of non-negative integers."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(values, np.int64)[:, None] // powers) % 10).astype(np.uint8)


def check_characters(first17: np.ndarray) -> np.ndarray:
    """ASCII check characters (GB 11643, ISO 7064 MOD 11-2) of (n, 17) digit values."""
    return CHECK_CHARS[(first17.astype(np.int32) @ WEIGHTS) % 11]


def id_matrix(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """(n, 18) ASCII bytes of valid ID numbers."""
    y, m, d = ymd(birth)
    first = np.hstack([digits(region, 6), digits(y * 10000 + m * 100 + d, 8), digits(seq, 3)])
    out = np.empty((len(first), 18), np.uint8)
    out[:, :17] = first + 48
    out[:, 17] = check_characters(first)
    return out


def fixed_strings(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array over the rows of an (n, width) ASCII byte matrix, without a Python object per row."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    bitmap, nulls = None, 0
    if valid is not None:
        bitmap, nulls = pa.py_buffer(np.packbits(valid, bitorder="little")), int(n - valid.sum())
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix)),
                                       bitmap, nulls)


def ids(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> pa.Array:
    return fixed_strings(id_matrix(region, birth, seq))


def unique_sequences(county: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Sequence numbers 2…499 (odd for men) making (county, birth date, sequence) unique."""
    key = (county.astype(np.int64) * 200_000 + birth + 60_000) * 2 + male
    order = np.argsort(key, kind="stable")
    k = key[order]
    index = np.arange(len(k))
    rank_sorted = index - np.maximum.accumulate(np.where(np.r_[True, k[1:] != k[:-1]], index, 0))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    if len(rank) and rank.max() >= 249:
        raise ValueError("too many members born on one day in one county")
    return 2 + rank * 2 + male


def cat(values: list[str], index: np.ndarray) -> pa.Array:
    """values[index] as a string array; a negative index is NULL."""
    index = np.asarray(index, np.int64)
    return pc.take(pa.array(values, pa.string()), pa.array(index, mask=index < 0))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    days = np.ascontiguousarray(days, dtype=np.int32)
    bitmap, nulls = None, 0
    if valid is not None:
        bitmap, nulls = pa.py_buffer(np.packbits(valid, bitorder="little")), int(len(days) - valid.sum())
    return pa.Array.from_buffers(pa.date32(), len(days), [bitmap, pa.py_buffer(days)], nulls)


def names(rng: np.random.Generator, n: int, pool_size: int = 40_000) -> pa.Array:
    pool_rng = np.random.default_rng(7)
    surname = np.array(list(SURNAMES))[pool_rng.integers(0, len(SURNAMES), pool_size)]
    given = np.array(list(GIVEN))
    second = np.where(pool_rng.random(pool_size) < 0.6, given[pool_rng.integers(0, len(GIVEN), pool_size)], "")
    pool = np.char.add(np.char.add(surname, given[pool_rng.integers(0, len(GIVEN), pool_size)]), second)
    return pc.take(pa.array(pool.astype(object), pa.string()), pa.array(rng.integers(0, pool_size, n)))


def outsiders(rng: np.random.Generator, n: int, age_lo: int, age_hi: int, ref: np.ndarray | int = CHECK,
              invalid_share: float = 0.001) -> dict[str, pa.Array]:
    """People outside the registry (sequence numbers ≥ 500), aged age_lo…age_hi on ``ref``; a small share
    carry an invalid ID (id_number NULL, id_raw kept), as a department file would."""
    county = np.where(rng.random(n) < 0.9, COUNTIES[rng.integers(0, len(COUNTIES), n)],
                      OTHER_COUNTIES[rng.integers(0, len(OTHER_COUNTIES), n)])
    birth = ref - rng.integers(age_lo * 366, age_hi * 365 + 365, n)
    male = rng.random(n) < 0.5
    seq = OUTSIDE_SEQUENCE + 2 * rng.integers(0, 250, n) + male
    matrix = id_matrix(county, birth, seq)
    bad = rng.random(n) < invalid_share
    raw = matrix.copy()
    raw[:, 17] = np.where(raw[:, 17] == ord("0"), ord("1"), ord("0"))
    village = np.where(county < 330000, VILLAGE_CODES[rng.integers(0, len(VILLAGE_CODES), n)], 0)
    return {"id_number": fixed_strings(matrix, ~bad), "id_raw": fixed_strings(raw, bad), "name": names(rng, n),
            "birth_date": dates(birth), "gender": cat(["female", "male"], male.astype(np.int64)),
            "division_code": fixed_strings(digits(village, 12) + 48, (village > 0) & (rng.random(n) < 0.7))}


def to_arrow(value: object, type_: pa.DataType) -> pa.Array:
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value if value.type == type_ else value.cast(type_)
    array = np.asarray(value)
    if pa.types.is_date32(type_):
        return dates(array)
    if pa.types.is_decimal(type_):
        return decimal_from_cents(array.astype(np.int64))
    return pa.array(array, type_)


def frame(name: str, persons: dict[str, pa.Array], n: int, **own: object) -> pa.Table:
    """Rows of dataset ``name`` in its stored schema; absent columns are NULL and source_row is set later."""
    schema = arrow_schema(name)
    columns = []
    for f in schema:
        value = persons.get(f.name, own.get(f.name))
        if f.name == "source_row":
            value = np.zeros(n, np.int64)
        columns.append(pa.nulls(n, f.type) if value is None else to_arrow(value, f.type))
    return pa.Table.from_arrays(columns, schema=schema)
