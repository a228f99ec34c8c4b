"""The columns of the assistance files of services.md §5, declared with the registry's Column/TableSpec (so
the registry's readers, templates and error report serve them unchanged)."""

from __future__ import annotations

from types import MappingProxyType

from sunshine.assistance.choices import CadreKind, CadreLevel, TeamRole
from sunshine.registry.transfer.columns import DATE, DIVISION_CODE, ENUM, ID_NUMBER, TEXT, Column, TableSpec


def _labels(choices: type) -> MappingProxyType:
    """Chinese label → slug (files carry the labels)."""
    return MappingProxyType({str(label): value for value, label in choices.choices})


CADRE_NO = Column("cadre_no", "干部编号", TEXT, True, max_length=40, note="全省唯一")
CADRE_REF = Column("cadre_no", "干部编号", TEXT, True, max_length=40, note="须已导入帮扶干部")
HOUSEHOLD_REF = Column("household_no", "户编号", TEXT, True, max_length=30, note="须为管辖范围内的建档立卡户")

CADRES = TableSpec(
    name="cadres", title="帮扶干部", key=("cadre_no",), sheet_names=("帮扶干部", "cadres"),
    columns=(
        CADRE_NO,
        Column("name", "姓名", TEXT, True, max_length=100),
        Column("id_number", "身份证号", ID_NUMBER, True),
        Column("phone", "联系电话", TEXT, max_length=20, note="11位手机号或带区号的固定电话"),
        Column("unit", "派出单位", TEXT, max_length=200),
        Column("level", "层级", ENUM, True, _labels(CadreLevel)),
        Column("kind", "类型", ENUM, True, _labels(CadreKind)),
        Column("division_code", "区划代码", DIVISION_CODE,
               note="管理该干部的区划:村级干部填所在村;空白为 --county 或导入人所在县"),
    ),
)

PAIRINGS = TableSpec(
    name="pairings", title="结对帮扶", key=("cadre_no", "household_no", "start_date"),
    sheet_names=("结对帮扶", "pairings"),
    columns=(
        CADRE_REF, HOUSEHOLD_REF,
        Column("start_date", "开始日期", DATE, True),
        Column("end_date", "结束日期", DATE, note="空白表示结对仍在持续"),
    ),
)

VISITS = TableSpec(
    name="visits", title="走访记录", key=("cadre_no", "household_no", "date"), sheet_names=("走访记录", "visits"),
    columns=(
        CADRE_REF, HOUSEHOLD_REF,
        Column("date", "走访日期", DATE, True),
        Column("notes", "走访情况", TEXT, max_length=4000),
        Column("measures", "商定措施", TEXT, max_length=4000),
    ),
)

WORK_TEAMS = TableSpec(
    name="work_teams", title="驻村工作队", key=("division_code", "cadre_no", "start_date"),
    sheet_names=("驻村工作队", "work_teams"),
    columns=(
        Column("division_code", "区划代码", DIVISION_CODE, True, note="驻村的村级12位代码"),
        CADRE_REF,
        Column("role", "职务", ENUM, True, _labels(TeamRole)),
        Column("start_date", "开始日期", DATE, True),
        Column("end_date", "结束日期", DATE, note="空白表示仍在驻村"),
    ),
)

SPECS: dict[str, TableSpec] = {s.name: s for s in (CADRES, PAIRINGS, VISITS, WORK_TEAMS)}
KINDS = tuple(SPECS)
KIND_LABELS = {name: spec.title for name, spec in SPECS.items()}
