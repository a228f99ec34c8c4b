"""Names for synthetic people, townships and villages.

Person names come from Faker's zh_CN word lists, but are drawn with numpy from an explicit generator:
calling Faker once per person would be slow and would tie reproducibility to Faker's own seeding."""

from __future__ import annotations

import numpy as np
from faker.providers.person.zh_CN import Provider as _ZhPerson

# Surnames with Faker's frequency weights, so that 王/李/张 dominate as they do in northern Jiangsu.
SURNAMES: tuple[str, ...] = tuple(_ZhPerson.last_names)
_SURNAME_WEIGHTS = np.array(list(_ZhPerson.last_names.values()), dtype=float)
SURNAME_P = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()


def _given_pool(names: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Faker's given names, and the single characters they are made of (to compose two-character names:
    Faker has only ~60 male and ~75 female given names, far too few for a county)."""
    whole = tuple(dict.fromkeys(names))
    chars = tuple(dict.fromkeys(ch for name in names for ch in name))
    return whole, chars


MALE_GIVEN, MALE_CHARS = _given_pool(_ZhPerson.first_names_male)
FEMALE_GIVEN, FEMALE_CHARS = _given_pool(_ZhPerson.first_names_female)

# Place-name parts in the style of villages around Xuzhou (张庄, 王楼, 李寨, 赵集 …).
PLACE_SUFFIXES = ("庄", "楼", "集", "寨", "营", "屯", "湾", "口", "店", "桥", "圩", "湖", "岗", "园", "堂", "洼",
                  "套", "台")
PLACE_PREFIXES = ("东", "西", "南", "北", "前", "后", "大", "小", "新", "老", "中", "上", "下", "双", "三", "高",
                  "黄", "白", "红", "青", "金", "龙", "凤", "杨", "柳", "枣", "梨", "桃", "沙", "河", "常", "顺",
                  "宋", "范", "孙", "刘", "王", "李", "张", "赵", "陈", "周", "吴", "郑", "马", "朱", "胡", "郭")


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Indices into SURNAMES, weighted by frequency."""
    return rng.choice(len(SURNAMES), size=n, p=SURNAME_P)


def given_names(rng: np.random.Generator, male: np.ndarray) -> list[str]:
    """One given name per entry of ``male`` (bool array): about half taken whole from Faker's list, the
    rest composed of two characters of the same gender's names."""
    n = len(male)
    whole = rng.random(n) < 0.5
    result = np.empty(n, dtype=object)
    for is_male, given, chars in ((True, MALE_GIVEN, MALE_CHARS), (False, FEMALE_GIVEN, FEMALE_CHARS)):
        sel = male == is_male
        k = int(sel.sum())
        if not k:
            continue
        pick_whole = np.asarray(given, dtype=object)[rng.integers(0, len(given), k)]
        chars_arr = np.asarray(chars, dtype=object)
        composed = chars_arr[rng.integers(0, len(chars), k)] + chars_arr[rng.integers(0, len(chars), k)]
        result[sel] = np.where(whole[sel], pick_whole, composed)
    return result.tolist()


def place_names(rng: np.random.Generator, n: int, *, ending: str, avoid: set[str] | None = None) -> list[str]:
    """``n`` distinct names such as 王楼村 or 东湖镇: a surname or a place prefix, a place suffix and the
    ``ending`` (镇, 乡, 村). Raises when more names are asked for than the word lists can make."""
    if n <= 0:
        return []
    avoid = set(avoid or ())
    starts = list(dict.fromkeys(list(PLACE_PREFIXES) + list(SURNAMES[:120])))
    combos = len(starts) * len(PLACE_SUFFIXES)
    if n > combos - len(avoid):
        raise ValueError(f"无法生成 {n} 个互不相同的地名 (at most {combos})")
    names: list[str] = []
    seen = set(avoid)
    # Draw combination numbers without replacement; a few extra cover names already in ``avoid``.
    order = rng.permutation(combos)
    for code in order.tolist():
        start, suffix = divmod(code, len(PLACE_SUFFIXES))
        name = f"{starts[start]}{PLACE_SUFFIXES[suffix]}{ending}"
        if name in seen:
            continue
        seen.add(name)
        names.append(name)
        if len(names) == n:
            break
    return names
