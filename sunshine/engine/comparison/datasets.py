"""The 13 department datasets of data-dictionary.md ("Department datasets"), declared once.

The dataset loader (sunshine.comparison) validates files against these declarations and stores each load as
Parquet with the columns of ``arrow_schema(name)``; the comparison rules read those Parquet files. Nothing here
imports Django.

Every stored table has the common columns of ``COMMON`` first, then the dataset's own columns:

source_row  the row as a spreadsheet shows it (header = 1, first data row = 2); identifies the row in a load
id_number   the normalised 18-character ID (15-digit IDs converted); NULL when missing or invalid. A stored
            load keeps it encrypted (sunshine.core.crypto; files written before that hold it plain): the rules
            never read it, only evidence shown to a reader does
id_hash     lower-case hex HMAC-SHA256 of the normalised ID: sent by the department (a 'hashed' load) or
            computed from id_number when the load is stored (an 'exact' one); the key the rules match on
id_raw      the ID as written in the file when it is not a valid ID (kept as evidence, encrypted like
            id_number); NULL otherwise
name        姓名
birth_date  出生日期 column when given, else the birth date digits of the ID (also of an invalid ID whose date
            digits read as a date); used by probabilistic matching
gender      性别 column when given, else from the ID; slug male / female
division_code 区划代码 when the department gives it (village or township, 12 digits); used by matching

Derived columns (DERIVED) follow the dataset's own: 民政低保特困 keeps head_id_region, the first 6 digits (the
county) of a plain 户主身份证号, which C-DIBAO-MISSING scopes on once the number itself is encrypted.

Enumerations are stored as English slugs; the Chinese labels are what files carry and explanations show.
Money is decimal128(14, 2) yuan; dates are date32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

MONEY = pa.decimal128(14, 2)

TEXT, DATE, MONEY_KIND, INT, NUMBER, ENUM, YES_NO, ID, HASH = (
    "text", "date", "money", "int", "number", "enum", "yes_no", "id", "hash",
)
_ARROW = {
    TEXT: pa.string(), DATE: pa.date32(), MONEY_KIND: MONEY, INT: pa.int32(), NUMBER: pa.float64(),
    ENUM: pa.string(), YES_NO: pa.bool_(), ID: pa.string(), HASH: pa.string(),
}


@dataclass(frozen=True)
class Column:
    field: str                      # English field name: stored column and English header
    header: str                     # Chinese header
    kind: str                       # one of TEXT, DATE, MONEY_KIND, INT, NUMBER, ENUM, YES_NO, ID, HASH
    required: bool = False          # an empty cell is a row error
    choices: dict[str, str] = field(default_factory=dict)  # Chinese label → slug (ENUM only)

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.kind]


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str                      # Chinese name of the dataset
    department: str                 # the department that sends it
    columns: tuple[Column, ...]     # the dataset's own columns (not COMMON)


# Columns every dataset file may carry. 身份证号 or 身份证号哈希 must be present as a column (a cell may be
# empty: that row is then matched probabilistically); 姓名 is required.
FILE_COMMON = (
    Column("id_number", "身份证号", ID),
    Column("id_hash", "身份证号哈希", HASH),
    Column("name", "姓名", TEXT, required=True),
    Column("birth_date", "出生日期", DATE),
    Column("gender", "性别", ENUM, choices={"男": "male", "女": "female"}),
    Column("division_code", "区划代码", TEXT),
)

COMMON = pa.schema([
    pa.field("source_row", pa.int64(), nullable=False),
    pa.field("id_number", pa.string()),
    pa.field("id_hash", pa.string()),
    pa.field("id_raw", pa.string()),
    pa.field("name", pa.string()),
    pa.field("birth_date", pa.date32()),
    pa.field("gender", pa.string()),
    pa.field("division_code", pa.string()),
])

YES_NO_CHOICES = {"是": True, "否": False}

STAGES = {"小学": "primary", "初中": "junior", "高中": "senior", "中职": "secondary_vocational",
          "高职": "higher_vocational", "高校": "college"}
ENROLMENT = {"在读": "enrolled", "休学": "suspended", "辍学": "dropped_out", "送教上门": "home_taught"}
SCHEMES = {"城乡居民": "resident", "职工": "employee"}
INSURED = {"参保": "insured", "停保": "stopped"}
AID_TYPES = {"低保": "dibao", "特困": "tekun"}
DISABILITY_TYPES = {"视力": "visual", "听力": "hearing", "言语": "speech", "肢体": "physical", "智力": "intellectual",
                    "精神": "mental", "多重": "multiple"}
DISABILITY_LEVELS = {"一级": "level1", "二级": "level2", "三级": "level3", "四级": "level4"}
RENOVATION = {"已改造": "done", "改造中": "in_progress"}
BUSINESS_ROLES = {"法定代表人": "legal_representative", "股东": "shareholder"}
VEHICLE_TYPES = {"小型汽车": "small_car", "货车": "truck", "农用车": "farm_vehicle", "摩托车": "motorcycle"}
PROPERTY_KINDS = {"商品房": "commercial", "自建房": "self_built", "其他": "other"}

DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("deaths", "户籍死亡人员", "公安", (
        Column("death_date", "死亡日期", DATE, required=True),
    )),
    Dataset("students", "学籍在校生", "教育", (
        Column("school", "学校", TEXT),
        Column("stage", "学段", ENUM, choices=STAGES),
        Column("enrolment_status", "学籍状态", ENUM, required=True, choices=ENROLMENT),
        Column("term", "学期", TEXT),
    )),
    Dataset("medical_insurance", "医保参保", "医保", (
        Column("scheme", "险种", ENUM, choices=SCHEMES),
        Column("year", "参保年度", INT, required=True),
        Column("insured_status", "参保状态", ENUM, required=True, choices=INSURED),
    )),
    Dataset("medical_claims", "医保结算", "医保", (
        Column("visit_date", "就诊日期", DATE, required=True),
        Column("total_cost", "医疗总费用", MONEY_KIND),
        Column("self_paid", "个人自付", MONEY_KIND, required=True),
    )),
    Dataset("pension_insurance", "养老参保", "人社", (
        Column("scheme", "险种", ENUM, choices=SCHEMES),
        Column("insured_status", "参保状态", ENUM, required=True, choices=INSURED),
    )),
    Dataset("dibao", "民政低保特困", "民政", (
        Column("aid_type", "救助类型", ENUM, required=True, choices=AID_TYPES),
        Column("head_id_number", "户主身份证号", ID),
        Column("head_id_hash", "户主身份证号哈希", HASH),
        Column("monthly_amount", "月保障金", MONEY_KIND),
        Column("start_date", "起始日期", DATE, required=True),
        Column("end_date", "终止日期", DATE),
    )),
    Dataset("disability", "残联持证残疾人", "残联", (
        Column("disability_type", "残疾类别", ENUM, choices=DISABILITY_TYPES),
        Column("disability_level", "残疾等级", ENUM, required=True, choices=DISABILITY_LEVELS),
        Column("living_subsidy", "生活补贴", YES_NO),
        Column("care_subsidy", "护理补贴", YES_NO),
    )),
    Dataset("housing_renovation", "住建危房改造", "住建", (
        Column("year", "改造年度", INT),
        Column("status", "改造状态", ENUM, required=True, choices=RENOVATION),
    )),
    Dataset("businesses", "市场监管企业登记", "市场监管", (
        Column("company", "企业名称", TEXT),
        Column("role", "身份", ENUM, choices=BUSINESS_ROLES),
        Column("registered_capital", "注册资本", MONEY_KIND, required=True),
    )),
    Dataset("vehicles", "车管机动车", "公安车管", (
        Column("plate", "号牌", TEXT),
        Column("vehicle_type", "车辆类型", ENUM, required=True, choices=VEHICLE_TYPES),
        Column("registered_date", "登记日期", DATE),
    )),
    Dataset("real_estate", "不动产登记", "自然资源", (
        Column("location", "坐落", TEXT),
        Column("property_kind", "房屋性质", ENUM, required=True, choices=PROPERTY_KINDS),
        Column("area_m2", "面积", NUMBER),
    )),
    Dataset("public_payroll", "财政供养人员", "财政", (
        Column("employer", "单位", TEXT),
    )),
    Dataset("disasters", "应急受灾人员", "应急管理", (
        Column("disaster_type", "灾害类型", TEXT),
        Column("date", "受灾日期", DATE, required=True),
        Column("loss", "损失金额", MONEY_KIND),
    )),
)}


# Columns computed when a load is stored, not read from the file (never shown as evidence).
DERIVED: dict[str, tuple[pa.Field, ...]] = {
    "dibao": (pa.field("head_id_region", pa.string()),),
}
# Columns holding an ID number (plain in a file, encrypted in a stored load) and the hash each one gives.
ID_COLUMNS = {"id_number": "id_hash", "head_id_number": "head_id_hash"}


def arrow_schema(name: str) -> pa.Schema:
    """The schema of a stored load of dataset ``name``: COMMON, the dataset's own columns, then DERIVED."""
    own = [pa.field(c.field, c.arrow_type) for c in DATASETS[name].columns]
    return pa.schema([*COMMON, *own, *DERIVED.get(name, ())])


def labels(name: str, field_name: str) -> dict[str, str]:
    """slug → Chinese label of an enumerated column (for explanations and pages)."""
    for column in (*FILE_COMMON, *DATASETS[name].columns):
        if column.field == field_name:
            return {slug: label for label, slug in column.choices.items()}
    raise KeyError(f"{name}.{field_name}")
