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

# --- Monitoring (policy-rules.md §5) -----------------------------------------------------------------------
MEMBER_DECEASED = "deceased"  # 成员状态 死亡
HEALTH_LABELS = {"healthy": "健康", "chronic": "长期慢性病", "serious_illness": "大病", "disabled": "残疾"}
SERIOUS_ILLNESS, DISABLED = "serious_illness", "disabled"
DISABILITY_LEVEL_LABELS = {"level1": "一级", "level2": "二级", "level3": "三级", "level4": "四级"}
SEVERE_DISABILITY_LEVELS = ("level1", "level2")
LABOUR_ABILITY_LABELS = {"ordinary": "普通劳动力", "skilled": "技能劳动力", "weak": "弱劳动力", "lost": "丧失劳动力",
                         "none": "无劳动力"}
BREADWINNER_LABOUR = ("ordinary", "skilled")  # a death of such a member is M-SUDDEN

# Warning codes in the order a warning lists them, and their names.
WARNING_LABELS = {"M-UNSTABLE": "脱贫不稳定户", "M-EDGE": "边缘易致贫户", "M-SUDDEN": "突发严重困难户",
                  "M-SLIP": "三保障下滑"}
# Risk signals (the parts of the risk score), in contribution order: code → (warning code, Chinese name).
SIGNAL_WARNING = {
    "income_below_line": "M-UNSTABLE", "income_drop": "M-UNSTABLE", "edge": "M-EDGE", "medical_cost": "M-SUDDEN",
    "disaster": "M-SUDDEN", "breadwinner_death": "M-SUDDEN", "new_illness": "M-SUDDEN", "slip_edu": "M-SLIP",
    "slip_med": "M-SLIP", "slip_house": "M-SLIP", "loan_overdue": "M-SUDDEN",
}
SIGNAL_LABELS = {
    "income_below_line": "收入低于监测线", "income_drop": "收入大幅下降", "edge": "边缘易致贫",
    "medical_cost": "大额医疗支出", "disaster": "遭受灾害", "breadwinner_death": "劳动力死亡",
    "new_illness": "新增大病或重度残疾", "slip_edu": "义务教育无保障", "slip_med": "基本医疗无保障",
    "slip_house": "住房安全无保障", "loan_overdue": "扶贫小额信贷逾期",
}
# Warning subjects: a registered household, a monitored household outside the registry, a 低保 head outside it.
REGISTERED, MONITORED, OUTSIDE = "registered", "monitored", "outside"
