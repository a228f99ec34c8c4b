"""The codes the engine reads and the Chinese words its explanations use.

The engine cannot import the Django choice sets, so the slugs and labels it needs are repeated here;
sunshine/assessment/tests/test_vocabulary.py checks them against sunshine.registry.choices."""

from __future__ import annotations

# Household status (状态).
IN_POVERTY, EXITED, RETURNED, CLOSED = "in_poverty", "exited", "returned", "closed"
# "Registered households (未脱贫 + 已脱贫, not 已销户)" of §3. 返贫 households are back in the registry as poor
# households (a returned household is 未脱贫 again), so they are registered too: every status but 已销户.
REGISTERED_STATUSES = (IN_POVERTY, EXITED, RETURNED)
HOUSEHOLD_STATUS_LABELS = {IN_POVERTY: "未脱贫", EXITED: "已脱贫", RETURNED: "返贫", CLOSED: "已销户"}

MEMBER_ACTIVE = "active"  # 成员状态 在册

SCHOOL_STATUS_LABELS = {
    "not_in_school": "非在校生", "preschool": "学前教育", "primary": "小学", "junior": "初中", "senior": "高中",
    "secondary_vocational": "中职", "higher_vocational": "高职", "college": "大专及以上", "dropped_out": "辍学",
    "suspended": "休学", "home_taught": "送教上门",
}
NOT_IN_SCHOOL, DROPPED_OUT, SUSPENDED = "not_in_school", "dropped_out", "suspended"
# Statuses that satisfy H-EDU for a school-age member: at school in any form, 休学 (with a note) and 送教上门.
SCHOOL_STATUSES_PASSING = tuple(s for s in SCHOOL_STATUS_LABELS if s not in (NOT_IN_SCHOOL, DROPPED_OUT))

EDUCATION_LEVEL_LABELS = {
    "illiterate": "文盲或半文盲", "primary": "小学", "junior": "初中", "senior": "高中", "vocational": "中专",
    "college": "大专及以上",
}
COMPLETED_JUNIOR = ("junior", "senior", "vocational", "college")  # "has completed 初中"

SAFE_HOUSING_GRADES = ("A", "B")
DANGEROUS_HOUSING_GRADES = ("C", "D")
RENOVATION_DONE = "done"
RENOVATION_LABELS = {"not_needed": "无需改造", "pending": "未改造", "in_progress": "改造中", "done": "已改造"}

# (column, label, sign) of the per-capita disposable income formula of §1.
INCOME_ITEMS = (
    ("wage_income", "工资性收入", 1),
    ("business_income", "生产经营性收入", 1),
    ("business_expense", "生产经营性支出", -1),
    ("property_income", "财产性收入", 1),
    ("transfer_income", "转移性收入", 1),
    ("transfer_expense", "转移性支出", -1),
)

# Criterion codes, in the order explanations name them, and the result column of each in engine output.
HOUSEHOLD_CRITERIA = {
    "H-INC": "h_inc", "H-FOOD": "h_food", "H-WATER": "h_water", "H-EDU": "h_edu", "H-MED": "h_med",
    "H-HOUSE": "h_house",
}
VILLAGE_CRITERIA = {"V-INC": "v_inc", "V-ROAD": "v_road", "V-CLINIC": "v_clinic"}
# §3 names no codes; K = key county (重点帮扶县): the household share and the weak-village share.
COUNTY_CRITERIA = {"K-HH": "k_hh", "K-VIL": "k_vil"}

# A criterion's state and a result; states are ranked so that the worst one decides (max).
PASS, MISSING, FAIL = "pass", "missing", "fail"
STATES = (PASS, MISSING, FAIL)
MEETS, INCOMPLETE, FAILS = "meets", "incomplete", "fails"
RESULTS = (MEETS, INCOMPLETE, FAILS)
RESULT_LABELS = {MEETS: "达标", INCOMPLETE: "缺数据", FAILS: "未达标"}
