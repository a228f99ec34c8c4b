"""A synthetic population for the linkage tests and benchmark: registry members and department rows without a
valid ID, some drawn from the members with realistic noise and some of people outside the registry, with the
truth kept aside. Names come from a small set of common surnames and given-name characters, so that names
collide (many 张伟) and birth date and place have to decide. No real personal data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sunshine.engine.linkage import DEPARTMENT_ROWS
from sunshine.engine.linkage.features import VARIANTS, name_features

COUNTIES = ("320321", "320324", "320723", "320724", "320803", "320804",
            "320826", "320921", "320922", "321322", "321323", "321324")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞波斌宇浩凯健俊帆旭宁龙林峰建国文志海成东亮新春生福金永胜"
FEMALE_GIVEN = "芳娜秀英敏静丽艳娟霞燕玲桂兰萍红梅琳雪婷慧莉倩颖琴云洁佳玉凤华群珍月香翠淑娥荣美丹"
# Characters that sound like the ones above (homophones by toneless pinyin); the groups are computed, not typed.
SOUND_ALIKE = (
    "章理里黎汪柳留晨臣阳羊皇照舟州武伍许陶蔚玮炜薇锋丰枫君均鸣铭婧晶莉俐立方桦骅瑛莹虹宏洪珉洁婕捷滔韬潮"
    "永涌雁彦侠岚澜苹屏玫媚绣鹃涓蔷垒博晖徽朋彬宾雨羽语钰昊皓楷恺建剑骏峻菲非妃隆霖麟帼雯闻智芝诚城程冬"
    "亭庭廷霆惠蕙茜勤芹芸昀韵家嘉成兵冰京景凌灵宁牛南蓝增赞森松"
)


def _alike(feature: int) -> dict[str, list[str]]:
    """character → the other characters of the pool with the same name feature (1 pinyin, 3 fuzzy pinyin)."""
    by_sound: dict[str, list[str]] = defaultdict(list)
    for char in dict.fromkeys(SURNAMES + MALE_GIVEN + FEMALE_GIVEN + SOUND_ALIKE):
        by_sound[name_features(char)[feature]].append(char)
    return {c: [o for o in group if o != c] for group in by_sound.values() if len(group) > 1 for c in group}


HOMOPHONES = _alike(1)
# characters that only dialect speakers hear as the same (陈 chen / 程 cheng, 刘 liu / 牛 niu)
DIALECT_ALIKE = {c: [o for o in others if o not in HOMOPHONES.get(c, ())] for c, others in _alike(3).items()}
DIALECT_ALIKE = {c: others for c, others in DIALECT_ALIKE.items() if others}
UNFOLD: dict[str, list[str]] = defaultdict(list)
for _variant, _standard in VARIANTS.items():
    UNFOLD[_standard].append(_variant)


def _zipf(size: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def _villages(members: int) -> list[str]:
    n_villages = max(20, members // 800)
    codes = []
    for v in range(n_villages):
        township = v // 12
        codes.append(f"{COUNTIES[township % 12]}{101 + township // 12:03d}{1 + v % 12:03d}")
    return codes


def _names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    n = male.size
    surnames = np.array(list(SURNAMES), dtype=object)[rng.choice(len(SURNAMES), n, p=_zipf(len(SURNAMES), 0.7))]
    given = []
    for _ in range(2):
        male_chars = np.array(list(MALE_GIVEN), dtype=object)[
            rng.choice(len(MALE_GIVEN), n, p=_zipf(len(MALE_GIVEN), 0.6))]
        female_chars = np.array(list(FEMALE_GIVEN), dtype=object)[
            rng.choice(len(FEMALE_GIVEN), n, p=_zipf(len(FEMALE_GIVEN), 0.6))]
        given.append(np.where(male, male_chars, female_chars))
    two = rng.random(n) < 0.75
    return surnames + given[0] + np.where(two, given[1], "")


def _birth_dates(rng: np.random.Generator, n: int) -> pa.Array:
    start, end = dt.date(1940, 1, 1).toordinal(), dt.date(2015, 12, 31).toordinal()
    days = rng.integers(start, end + 1, n) - dt.date(1970, 1, 1).toordinal()
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


def members(n: int, seed: int = 0) -> pa.Table:
    """n registry members: member_key 1..n, name, birth_date, gender, village_code (the PEOPLE columns the
    linkage reads)."""
    rng = np.random.default_rng(seed)
    male = rng.random(n) < 0.5
    villages = np.array(_villages(n), dtype=object)
    return pa.table({
        "member_key": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "name": pa.array(_names(rng, male), pa.string()),
        "birth_date": _birth_dates(rng, n),
        "gender": pa.array(np.where(male, "male", "female"), pa.string()),
        "village_code": pa.array(villages[rng.integers(0, villages.size, n)], pa.string()),
    })


@dataclass(frozen=True)
class Noise:
    """Share of department rows (drawn from members) with each kind of noise; kinds are drawn independently."""
    given_homophone: float = 0.12     # one given-name character written with a homophone (伟 → 玮)
    surname_homophone: float = 0.03   # 张 → 章
    variant: float = 0.04             # a variant or traditional form (峰 → 峯, 张 → 張)
    dialect: float = 0.03             # one character written as a dialect speaker hears it (陈 → 程, 林 → 玲)
    date_typo: float = 0.08           # one digit of the birth date wrong
    date_missing: float = 0.04
    gender_missing: float = 0.10
    township_only: float = 0.20       # division code of the township (…000) instead of the village
    no_division: float = 0.20
    other_village: float = 0.05       # recorded in another village of the same township


def _typo(date: dt.date, rnd: random.Random) -> dt.date:
    digits = date.strftime("%Y%m%d")
    for _ in range(50):
        position = rnd.choice((2, 3, 4, 5, 6, 7))  # not the century
        changed = digits[:position] + str(rnd.randrange(10)) + digits[position + 1:]
        try:
            typo = dt.datetime.strptime(changed, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if typo != date:
            return typo
    return date + dt.timedelta(days=1)


def _noisy_name(name: str, noise: Noise, rnd: random.Random) -> str:
    chars = list(name)
    if rnd.random() < noise.surname_homophone and chars[0] in HOMOPHONES:
        chars[0] = rnd.choice(HOMOPHONES[chars[0]])
    if rnd.random() < noise.given_homophone:
        positions = [i for i in range(1, len(chars)) if chars[i] in HOMOPHONES]
        if positions:
            i = rnd.choice(positions)
            chars[i] = rnd.choice(HOMOPHONES[chars[i]])
    if rnd.random() < noise.dialect:
        positions = [i for i in range(len(chars)) if chars[i] in DIALECT_ALIKE]
        if positions:
            i = rnd.choice(positions)
            chars[i] = rnd.choice(DIALECT_ALIKE[chars[i]])
    if rnd.random() < noise.variant:
        positions = [i for i in range(len(chars)) if chars[i] in UNFOLD]
        if positions:
            i = rnd.choice(positions)
            chars[i] = rnd.choice(UNFOLD[chars[i]])
    return "".join(chars)


def department(people: pa.Table, rows: int, *, share_members: float = 0.8, seed: int = 0,
               noise: Noise | None = None, datasets: tuple[str, ...] = ("deaths", "students", "vehicles"),
               ) -> tuple[pa.Table, pa.Array]:
    """``rows`` department rows without ID (DEPARTMENT_ROWS) and the truth: the member_key each row was drawn
    from, NULL for outsiders."""
    noise = noise or Noise()
    rng = np.random.default_rng(seed + 1)
    rnd = random.Random(seed + 2)
    n_members = round(rows * share_members)
    drawn = rng.choice(people.num_rows, n_members, replace=False)
    outsiders = members(rows - n_members, seed=seed + 3)
    villages = _villages(people.num_rows)
    source = people.take(pa.array(drawn)).to_pydict()
    other = outsiders.to_pydict()
    other["village_code"] = [rnd.choice(villages) for _ in other["village_code"]]
    truth: list[int | None] = [*source["member_key"], *([None] * outsiders.num_rows)]

    names, dates, genders, codes = [], [], [], []
    for i in range(rows):
        record, from_members = (source, True) if i < n_members else (other, False)
        j = i if from_members else i - n_members
        name, date, gender, code = (record[k][j] for k in ("name", "birth_date", "gender", "village_code"))
        if from_members:
            name = _noisy_name(name, noise, rnd)
            if rnd.random() < noise.date_typo:
                date = _typo(date, rnd)
            if rnd.random() < noise.other_village:
                code = code[:9] + f"{rnd.randrange(1, 13):03d}"
        if rnd.random() < noise.date_missing:
            date = None
        if rnd.random() < noise.gender_missing:
            gender = None
        place = rnd.random()
        if place < noise.no_division:
            code = None
        elif place < noise.no_division + noise.township_only:
            code = code[:9] + "000"
        names.append(name)
        dates.append(date)
        genders.append(gender)
        codes.append(code)

    order = rng.permutation(rows)  # members and outsiders interleaved, as in a real file
    dataset = np.array(datasets, dtype=object)[rng.integers(0, len(datasets), rows)]
    table = pa.table({
        "dataset": pa.array(dataset, pa.string()),
        "source_row": pa.array(np.zeros(rows, dtype=np.int64)),
        "name": pa.array(names, pa.string()).take(order),
        "birth_date": pa.array(dates, pa.date32()).take(order),
        "gender": pa.array(genders, pa.string()).take(order),
        "division_code": pa.array(codes, pa.string()).take(order),
    })
    # source_row: the spreadsheet row within each dataset's file (header = 1)
    source_row = np.zeros(rows, dtype=np.int64)
    for name in datasets:
        mask = dataset == name
        source_row[mask] = np.arange(2, 2 + mask.sum())
    table = table.set_column(1, "source_row", pa.array(source_row)).cast(DEPARTMENT_ROWS)
    return table, pa.array(truth, pa.int64()).take(order)
