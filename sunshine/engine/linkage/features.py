"""Matching features of department rows and registry members, computed in Python/Arrow before Splink sees them,
so that the DuckDB and the Spark model read exactly the same values.

Every feature table has the columns of ``FEATURES``:

unique_id      the department row's position in the input table, or the member's member_key
name           the name with separators removed and variant / traditional characters folded (峯 → 峰, 張 → 张)
name_pinyin    toneless pinyin of the folded name, syllables joined without separator (张伟 → zhangwei)
name_initials  the first letter of each syllable (张伟 → zw)
name_fuzzy     the pinyin with the sounds many dialects merge made one (模糊音: zh/z, ch/c, sh/s, n/l, ang/an,
               eng/en, ing/in), so that 陈 chen and 程 cheng, 刘 liu and 牛 niu, 林 lin and 玲 ling meet
birth_date     'YYYY-MM-DD' (a string, so that a one-digit typo is one edit)
birth_ym       'YYYY-MM'
birth_year     'YYYY'
birth_md       'MM-DD' (blocks a name whose birth year has a typo)
gender         male / female
village        12-digit village code; NULL when only a township (…000) or nothing is known
township       first 9 digits of the code; NULL when the code names no township
county         first 6 digits of the code; NULL when there is no code

Pinyin is computed once per distinct character (a few thousand) and once per distinct name (a registry of 2.5M
members has a few hundred thousand), never per row.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
from pypinyin import Style, lazy_pinyin

from sunshine.engine.heap import gc_paused

FEATURES = pa.schema([
    pa.field("unique_id", pa.int64(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("name_pinyin", pa.string()),
    pa.field("name_initials", pa.string()),
    pa.field("name_fuzzy", pa.string()),
    pa.field("birth_date", pa.string()),
    pa.field("birth_ym", pa.string()),
    pa.field("birth_year", pa.string()),
    pa.field("birth_md", pa.string()),
    pa.field("gender", pa.string()),
    pa.field("village", pa.string()),
    pa.field("township", pa.string()),
    pa.field("county", pa.string()),
])

# Variant (异体字) and traditional forms met in names, folded to the form the registry uses. Homophones (张/章,
# 李/理) are not folded: they are different characters, and pinyin is what brings them together.
VARIANTS = {
    "峯": "峰", "羣": "群", "嶽": "岳", "囯": "国", "秊": "年", "甦": "苏", "栢": "柏", "淸": "清", "眞": "真",
    "曺": "曹", "邨": "村", "煕": "熙", "珎": "珍", "綉": "绣", "沖": "冲", "涼": "凉", "昇": "升", "綫": "线",
    "勳": "勋", "勲": "勋", "彥": "彦", "喆": "哲", "堃": "坤", "犇": "奔", "詠": "咏", "峩": "峨", "裡": "里",
    "裏": "里", "張": "张", "陳": "陈", "劉": "刘", "黃": "黄", "趙": "赵", "吳": "吴", "孫": "孙", "馬": "马",
    "鄭": "郑", "謝": "谢", "韓": "韩", "馮": "冯", "鄧": "邓", "蕭": "萧", "葉": "叶", "蘇": "苏", "呂": "吕",
    "盧": "卢", "錢": "钱", "範": "范", "龍": "龙", "陸": "陆", "羅": "罗", "楊": "杨", "許": "许", "鐘": "钟",
    "鍾": "钟", "華": "华", "國": "国", "軍": "军", "偉": "伟", "紅": "红", "麗": "丽", "靜": "静", "強": "强",
    "傑": "杰", "濤": "涛", "蘭": "兰", "鳳": "凤", "雲": "云", "東": "东", "貴": "贵", "寶": "宝", "順": "顺",
    "衛": "卫", "輝": "辉", "鵬": "鹏", "釗": "钊", "興": "兴", "嶺": "岭", "蓮": "莲", "鶴": "鹤", "義": "义",
    "榮": "荣", "慶": "庆", "學": "学", "發": "发", "進": "进", "愛": "爱", "紹": "绍", "樂": "乐", "齊": "齐",
    "鄒": "邹", "閆": "闫", "閻": "阎", "賈": "贾", "蔣": "蒋", "湯": "汤", "顧": "顾", "龔": "龚", "賀": "贺",
    "嚴": "严", "萬": "万", "錦": "锦", "豔": "艳", "艷": "艳", "嬌": "娇", "婭": "娅", "瑩": "莹", "穎": "颖",
    "潔": "洁", "鋒": "锋", "飛": "飞", "鳴": "鸣", "銘": "铭", "寧": "宁", "書": "书", "連": "连",
}
_FOLD = str.maketrans(VARIANTS)

# Names are written with or without the separators of minority names (阿卜杜·热合曼) and stray spaces.
_SEPARATORS = str.maketrans("", "", " \t\u3000·•・.．-")

# Surnames whose everyday reading differs from the character's most common one (曾 zeng, not ceng). Applied to
# the first character only, on both sides, so that 增伟 and 曾伟 both read zengwei.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "仇": "qiu", "查": "zha", "解": "xie", "覃": "qin", "缪": "miao", "翟": "zhai",
    "区": "ou", "朴": "piao", "盖": "ge", "乐": "yue", "尉": "yu", "员": "yun", "秘": "bi", "繁": "po",
    "隗": "wei", "长": "chang", "种": "chong",
}


_NO_NAME = (None, None, None, None)
_MERGED_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_MERGED_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@cache
def _syllable(char: str) -> tuple[str, str]:
    """(toneless pinyin, initial letter) of one character; a non-Han character stands for itself."""
    spelled = lazy_pinyin(char, style=Style.NORMAL)[0].lower()
    return spelled, spelled[:1]


@cache
def fuzzy(syllable: str) -> str:
    """A syllable with the initials and finals that dialects merge folded together (模糊音)."""
    for spelled, merged in _MERGED_INITIALS:
        if syllable.startswith(spelled) and len(syllable) > len(spelled):
            syllable = merged + syllable[len(spelled):]
            break
    for spelled, merged in _MERGED_FINALS:
        if syllable.endswith(spelled):
            return syllable[: -len(spelled)] + merged
    return syllable


def normalise_name(name: str) -> str:
    """The name as compared: full-width forms folded (NFKC), separators removed, variant characters folded."""
    if not unicodedata.is_normalized("NFKC", name):   # most names are: the check is much cheaper than the fold
        name = unicodedata.normalize("NFKC", name)
    return name.translate(_SEPARATORS).translate(_FOLD)


@cache
def _spelled(char: str) -> tuple[str, str, str]:
    """(pinyin, initial, fuzzy pinyin) of one character of a folded name."""
    syllable, initial = _syllable(char)
    return syllable, initial, fuzzy(syllable)


def name_features(name: str) -> tuple[str, str, str, str]:
    """(folded name, pinyin, initials, fuzzy pinyin) of one raw name."""
    folded = normalise_name(name)
    spelled = [_spelled(c) for c in folded]
    if folded and folded[0] in SURNAME_READINGS:
        reading = SURNAME_READINGS[folded[0]]
        spelled[0] = (reading, reading[:1], fuzzy(reading))
    pinyin, initials, merged = zip(*spelled, strict=True) if spelled else ((), (), ())
    return folded, "".join(pinyin), "".join(initials), "".join(merged)


def _name_columns(names: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    """Features per distinct name, spread back over the rows with ``take``."""
    encoded = pc.dictionary_encode(names)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks() if encoded.num_chunks else pa.array([], pa.dictionary(pa.int32(),
                                                                                                  pa.string()))
    names = encoded.dictionary.to_pylist()
    with gc_paused():   # half a million small tuples: the collector took a third of the time
        distinct = [name_features(n) if n else _NO_NAME for n in names]
    return [pa.array([d[position] or None for d in distinct], pa.string()).take(encoded.indices)
            for position in range(4)]


def _date_columns(dates: pa.ChunkedArray) -> tuple[pa.ChunkedArray, ...]:
    text = pc.cast(dates, pa.string())  # date32 → 'YYYY-MM-DD'
    return (text, pc.utf8_slice_codeunits(text, 0, 7), pc.utf8_slice_codeunits(text, 0, 4),
            pc.utf8_slice_codeunits(text, 5, 10))


def _place_columns(codes: pa.ChunkedArray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """village, township, county of a division code (12 digits; 9 or 6 digits are padded with zeros). A code
    that is not made of digits is treated as missing."""
    code = pc.utf8_rpad(pc.utf8_trim_whitespace(codes), 12, "0")
    valid = pc.and_(pc.equal(pc.utf8_length(code), 12), pc.utf8_is_digit(code))
    code = pc.if_else(valid, code, pa.scalar(None, pa.string()))
    village = pc.if_else(pc.equal(pc.utf8_slice_codeunits(code, 9, 12), "000"), None, code)
    township = pc.utf8_slice_codeunits(code, 0, 9)
    township = pc.if_else(pc.equal(pc.utf8_slice_codeunits(code, 6, 9), "000"), None, township)
    county = pc.utf8_slice_codeunits(code, 0, 6)
    county = pc.if_else(pc.equal(pc.utf8_slice_codeunits(code, 4, 6), "00"), None, county)
    return village, township, county


def _gender(values: pa.ChunkedArray) -> pa.ChunkedArray:
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    keep = pc.is_in(lowered, value_set=pa.array(["male", "female"]))
    return pc.if_else(keep, lowered, pa.scalar(None, pa.string()))


def feature_table(unique_id: pa.Array | pa.ChunkedArray, table: pa.Table, code_column: str) -> pa.Table:
    """The FEATURES table of ``table`` (columns name, birth_date, gender and ``code_column``)."""
    name, pinyin, initials, fuzzy_pinyin = _name_columns(table.column("name").cast(pa.string()))
    birth_date, birth_ym, birth_year, birth_md = _date_columns(table.column("birth_date").cast(pa.date32()))
    village, township, county = _place_columns(table.column(code_column).cast(pa.string()))
    return pa.Table.from_arrays(
        [pc.cast(unique_id, pa.int64()), name, pinyin, initials, fuzzy_pinyin, birth_date, birth_ym, birth_year,
         birth_md, _gender(table.column("gender").cast(pa.string())), village, township, county],
        schema=FEATURES,
    )


def department_features(department: pa.Table) -> pa.Table:
    """Features of department rows; unique_id is the row's position in ``department``."""
    return feature_table(pa.array(range(department.num_rows), pa.int64()), department, "division_code")


def people_features(people: pa.Table) -> pa.Table:
    """Features of registry members; unique_id is member_key."""
    return feature_table(people.column("member_key"), people, "village_code")
