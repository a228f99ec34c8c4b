"""The tables a funds check reads and the table it writes (funds.md §1, §7), as Arrow schemas, declared once.

The Django layer loads the files of funds.md §1 and hands the engine these tables (Arrow, or Parquet files with
these columns). Payees and cadres are named by ``id_hash`` only: the layer hashes plain ID numbers at load with
sunshine.engine.comparison.idhash (the installation's HMAC key), so no plain ID reaches the engine.

projects               one row per project; ``accepted_date`` (验收日期, from the library's signed transition)
                       is optional: when empty, 实际完工 actual_end stands in for it (P-NOANNOUNCE)
project_beneficiaries  project_no, household_no
funds                  资金指标 issued to a county
allocations            fund → project
expenditures           project spending other than payments to people
payments               一卡通 payments; ``period`` is YYYY, or YYYY-MM for monthly items
village_cadres         村干部名单 (id_hash, village division_code, position, term)
announcements          公告公示: kind approval | result; the period is start_date..end_date (inclusive), or
                       ``days`` days from start_date, or the standard's announcement_days when both are empty
standards              computed standards of the computed subsidy items (loan_interest_subsidy: key = loan_no;
                       dividend: key = household_no), filled by loans and assets (funds.md §5, §6)
members                registry facts: one row per member and year, whatever the 成员状态 (the comparison's
                       ``people`` table conforms to it); change_date is the date of the last status change;
                       birth_date (optional) gives a borrower's age (L-INELIGIBLE)
deaths                 id_hash, death_date (the 公安 deaths dataset, hashed)
loans                  扶贫小额信贷 (funds.md §1): the borrower by id_hash, the 户编号 stated; annual_rate as
                       DECIMAL(9, 6) (a rate is exact to 1e-6); guarantee as its slug; renewal_of names the
                       loan a renewal (续贷) replaces
loan_repayments        还款: loan_no, date, principal, interest
assets                 扶贫资产: kind, method and status as slugs; household_ratio DECIMAL(7, 6) (0–1); villages
                       as the file's text, 区划代码 joined by ';' (an empty list means the asset's own division)
asset_income           可分配收益 per asset and year (several rows of one asset and year are summed)
household_years        registry facts per household and year for the dividends (funds.md §6): village, status,
                       exit_year (脱贫年度) and active_members (在册人数; when empty, counted from ``members``).
                       ``members`` carries no exit year, so the registry layer hands this table over too; it is
                       not named ``households`` because the rules' CTE of that name (base.households_cte)
                       would hide it

An absent table is read as empty. Codes are the English slugs below; Chinese labels are what files carry and
explanations show. Money is decimal128(14, 2) yuan; dates are date32.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

MONEY = pa.decimal128(14, 2)
AMOUNT = pa.decimal128(18, 2)   # a finding's amount (a sum may outgrow one row's precision)


def _schema(*fields: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> pa.Schema:
    return pa.schema([pa.field(f[0], f[1], nullable=f[2] if len(f) > 2 else True) for f in fields])


PROJECTS = _schema(
    ("project_no", pa.string(), False), ("name", pa.string()), ("division_code", pa.string()),
    ("category", pa.string()), ("year", pa.int32()), ("budget", MONEY), ("content", pa.string()),
    ("performance_target", pa.string()), ("planned_households", pa.int32()),
    ("planned_registered_households", pa.int32()), ("status", pa.string()), ("planned_start", pa.date32()),
    ("planned_end", pa.date32()), ("actual_end", pa.date32()), ("implementer", pa.string()),
    ("accepted_date", pa.date32()),
)
PROJECT_BENEFICIARIES = _schema(("project_no", pa.string(), False), ("household_no", pa.string(), False))
FUNDS = _schema(
    ("fund_no", pa.string(), False), ("document_no", pa.string()), ("source", pa.string()), ("year", pa.int32()),
    ("division_code", pa.string()), ("issued_date", pa.date32()), ("amount", MONEY),
)
ALLOCATIONS = _schema(("fund_no", pa.string(), False), ("project_no", pa.string(), False), ("date", pa.date32()),
                      ("amount", MONEY))
EXPENDITURES = _schema(("project_no", pa.string(), False), ("date", pa.date32()), ("amount", MONEY),
                       ("payee", pa.string()), ("purpose", pa.string()))
PAYMENTS = _schema(
    ("payment_no", pa.string(), False), ("id_hash", pa.string()), ("name", pa.string()),
    ("household_no", pa.string()), ("item", pa.string()), ("period", pa.string()), ("amount", MONEY),
    ("paid_date", pa.date32()), ("fund_no", pa.string()), ("project_no", pa.string()), ("loan_no", pa.string()),
)
VILLAGE_CADRES = _schema(("id_hash", pa.string()), ("name", pa.string()), ("division_code", pa.string()),
                         ("position", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32()))
ANNOUNCEMENTS = _schema(("project_no", pa.string(), False), ("kind", pa.string(), False),
                        ("start_date", pa.date32()), ("end_date", pa.date32()), ("days", pa.int32()))
STANDARDS = _schema(("item", pa.string(), False), ("key", pa.string(), False), ("year", pa.int32(), False),
                    ("amount", MONEY))
MEMBERS = _schema(
    ("id_hash", pa.string()), ("name", pa.string()), ("household_no", pa.string(), False),
    ("village_code", pa.string()), ("year", pa.int32(), False), ("household_status", pa.string()),
    ("member_status", pa.string()), ("change_date", pa.date32()), ("birth_date", pa.date32()),
)
DEATHS = _schema(("id_hash", pa.string()), ("death_date", pa.date32()))
RATE = pa.decimal128(9, 6)      # an annual interest rate, 0.0435
RATIO = pa.decimal128(7, 6)     # a share of 0–1
LOANS = _schema(
    ("loan_no", pa.string(), False), ("household_no", pa.string()), ("id_hash", pa.string()), ("name", pa.string()),
    ("bank", pa.string()), ("loan_date", pa.date32()), ("due_date", pa.date32()), ("extended_due_date", pa.date32()),
    ("amount", MONEY), ("annual_rate", RATE), ("guarantee", pa.string()), ("purpose", pa.string()),
    ("renewal_of", pa.string()),
)
LOAN_REPAYMENTS = _schema(("loan_no", pa.string(), False), ("date", pa.date32()), ("principal", MONEY),
                          ("interest", MONEY))
ASSETS = _schema(
    ("asset_no", pa.string(), False), ("name", pa.string()), ("project_no", pa.string()), ("kind", pa.string()),
    ("division_code", pa.string()), ("value", MONEY), ("formed_date", pa.date32()), ("operator", pa.string()),
    ("method", pa.string()), ("household_ratio", RATIO), ("villages", pa.string()), ("status", pa.string()),
)
ASSET_INCOME = _schema(("asset_no", pa.string(), False), ("year", pa.int32(), False), ("income", MONEY))
HOUSEHOLD_YEARS = _schema(
    ("household_no", pa.string(), False), ("year", pa.int32(), False), ("village_code", pa.string()),
    ("status", pa.string()), ("exit_year", pa.int32()), ("active_members", pa.int32()),
)

TABLES: Mapping[str, pa.Schema] = {
    "projects": PROJECTS, "project_beneficiaries": PROJECT_BENEFICIARIES, "funds": FUNDS,
    "allocations": ALLOCATIONS, "expenditures": EXPENDITURES, "payments": PAYMENTS,
    "village_cadres": VILLAGE_CADRES, "announcements": ANNOUNCEMENTS, "standards": STANDARDS,
    "members": MEMBERS, "deaths": DEATHS, "loans": LOANS, "loan_repayments": LOAN_REPAYMENTS, "assets": ASSETS,
    "asset_income": ASSET_INCOME, "household_years": HOUSEHOLD_YEARS,
}
# Columns a table may lack (added after the file formats): read as NULL.
OPTIONAL_COLUMNS: Mapping[str, frozenset[str]] = {
    "projects": frozenset({"accepted_date", "content", "performance_target", "planned_households",
                           "planned_registered_households", "implementer", "name", "planned_start"}),
    "expenditures": frozenset({"payee", "purpose"}),
    "payments": frozenset({"household_no", "fund_no", "project_no", "loan_no", "name"}),
    "village_cadres": frozenset({"name", "position"}),
    "announcements": frozenset({"end_date", "days"}),
    "funds": frozenset({"document_no", "source"}),
    "members": frozenset({"name", "change_date", "birth_date"}),
    "loans": frozenset({"name", "bank", "extended_due_date", "purpose", "renewal_of", "id_hash", "household_no"}),
    "loan_repayments": frozenset({"interest"}),
    "assets": frozenset({"name", "project_no", "kind", "value", "formed_date", "operator", "villages"}),
    "household_years": frozenset({"exit_year", "active_members"}),
}

SUBJECTS = ("fund", "project", "payment", "loan")
FINDINGS = pa.schema([
    pa.field("rule", pa.string(), nullable=False),
    pa.field("severity", pa.string(), nullable=False),
    pa.field("year", pa.int32(), nullable=False),
    pa.field("subject", pa.string(), nullable=False),    # fund · project · payment · loan
    pa.field("key", pa.string(), nullable=False),        # fund_no / project_no / payment_no(s) joined by ';' / loan_no
    pa.field("household_no", pa.string()),               # the payee's household (payment findings)
    pa.field("id_hash", pa.string()),                    # the payee, when one person is concerned
    pa.field("division_code", pa.string()),              # owner: the household's village, else project / fund
    pa.field("amount", AMOUNT),                          # idle, gap, excess or paid amount
    pa.field("explanation", pa.string(), nullable=False),
])

# Enumerations: Chinese label → slug (files carry labels, the engine slugs).
CATEGORIES = {"产业发展": "industry", "就业扶贫": "employment", "基础设施": "infrastructure", "住房安全": "housing",
              "教育扶贫": "education", "健康扶贫": "health", "金融扶贫": "finance", "资产收益": "asset_income",
              "其他": "other"}
PROJECT_STATUSES = {"申报": "proposed", "论证": "vetted", "入库": "in_library", "批复": "approved",
                    "实施": "implementing", "完工": "completed", "验收": "accepted", "出库": "removed"}
FUND_SOURCES = {"中央财政": "central", "省级财政": "provincial", "市级财政": "city", "县级财政": "county",
                "整合涉农资金": "integrated", "社会帮扶": "social"}
CADRE_POSITIONS = {"书记": "secretary", "主任": "director", "副主任": "deputy_director", "委员": "member",
                   "会计": "accountant", "其他": "other"}
ANNOUNCEMENT_KINDS = {"立项公告": "approval", "结果公告": "result"}
APPROVAL, RESULT = "approval", "result"
# Statuses at or after 实施 (P-NOANNOUNCE), and the one P-OVERDUE and P-NOBENEFIT read.
IMPLEMENTING, COMPLETED, ACCEPTED = "implementing", "completed", "accepted"
STARTED_STATUSES = (IMPLEMENTING, COMPLETED, ACCEPTED)
BENEFIT_CATEGORIES = ("industry", "employment", "asset_income")


GUARANTEES = {"免担保": "none", "其他": "other"}
NO_GUARANTEE = "none"
ASSET_KINDS = {"光伏": "solar", "设施农业": "greenhouse", "养殖": "livestock", "乡村旅游": "tourism", "厂房": "plant",
               "其他": "other"}
DIVIDEND_METHODS = {"按户": "per_household", "按人": "per_person"}
PER_HOUSEHOLD, PER_PERSON = "per_household", "per_person"
ASSET_STATUSES = {"运营": "operating", "处置": "disposed", "报废": "scrapped"}
OPERATING = "operating"

# The outputs of the computations of funds.md §5–6 (§7 keys), in yuan like every amount.
SUBSIDY = pa.schema([
    pa.field("loan_no", pa.string(), nullable=False), pa.field("year", pa.int32(), nullable=False),
    pa.field("subsidy", MONEY, nullable=False),
])
DIVIDENDS = pa.schema([
    pa.field("asset_no", pa.string(), nullable=False), pa.field("year", pa.int32(), nullable=False),
    pa.field("household_no", pa.string()),                   # NULL: a village's share
    pa.field("division_code", pa.string(), nullable=False),   # the village
    pa.field("amount", MONEY, nullable=False),
])


def labels(choices: Mapping[str, str]) -> dict[str, str]:
    """slug → Chinese label."""
    return {slug: label for label, slug in choices.items()}


class TableError(ValueError):
    """A table lacks a column of its schema or holds a value its type cannot take."""


def conform(name: str, table: pa.Table) -> pa.Table:
    """``table`` with the columns of schema ``name`` in order, cast to its types; other columns dropped, a
    missing optional column read as NULL."""
    schema = TABLES[name]
    optional = OPTIONAL_COLUMNS.get(name, frozenset())
    columns = []
    for f in schema:
        if f.name not in table.column_names:
            if f.name not in optional:
                raise TableError(f"{name}: column {f.name} is missing")
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        column = table.column(f.name)
        if column.type != f.type:
            try:
                column = column.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise TableError(f"{name}.{f.name}: cannot read {column.type} as {f.type}: {exc}") from exc
        if not f.nullable and column.null_count:
            raise TableError(f"{name}.{f.name}: {column.null_count} empty values")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)
