"""Warnings on registered households (policy-rules.md §5 M-UNSTABLE, M-SUDDEN, M-SLIP) as common table expressions.

Income and the §1 criteria are the assessment engine's (sunshine.engine.assessment.households.household_ctes),
run for the checked year and the year before, each as a nested WITH inside one CTE (``cur``, ``prev``), so the
monitoring statement computes them exactly as an assessment run does and never re-derives income.

Choices the policy text leaves open:
* "Registered" = status not 已销户 in the checked year (the assessment's scope, division prefix included). The
  previous year is assessed within the same prefix: a household that moved across the prefix boundary has no
  previous-year figures (no income drop, no M-SLIP).
* M-UNSTABLE fires on status 已脱贫 only; unknown income (a missing income item, or no active member) never fires
  either part; the drop needs last year's per-capita income known and > 0.
* M-SUDDEN "not last year" (new illness): the person (by id_hash, in any household of the previous year) had a
  previous-year row that was not 大病 / 一级·二级残疾; or had no previous-year row while the household existed
  last year (a new member bringing a serious illness is new hardship for the household). A household new to
  the registry this year has no "last year", so its members' conditions are not new. Only active members count.
* A death counts when the member's row of the year is 死亡 with 变动日期 in the year and the 劳动能力 of that
  row (or, when empty, of the person's previous-year row) is 普通劳动力 or 技能劳动力.
* C-MEDCOST / C-DISASTER count on the household_key the finding carries.
* A loan (``loans_overdue``, sunshine.engine.monitoring.schema) counts on its household_key when it is overdue
  more than loan_overdue_warning_days; its signature part is the loan number, not the days (which grow daily).

People are known by ``id_hash`` (sunshine.engine.monitoring.schema): it joins a member to last year and stands for
the person in the signatures; the texts are ordered by birth date and name first, so the hash only breaks ties
(two members of one household with the same name and birth date), and signals by ``id_order``, the plain IDs'
order.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import re

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.households import household_ctes
from sunshine.engine.assessment.rules import CTE, with_clause
from sunshine.engine.dialect import Dialect, in_list, label_of, string_literal
from sunshine.engine.monitoring.rules import SHARE_SCALE, MonitoringRules

MEDCOST, DISASTER = "C-MEDCOST", "C-DISASTER"


def _nested(rules: MonitoringRules, year: int, prefix: str | None, d: Dialect, select: str, *,
            tag: str = "") -> str:
    """The assessment's CTEs of ``year`` and ``select`` over them, as one statement; with ``tag``, the CTE names
    carry it (Spark, to which sqlglot hoists nested CTEs to the top, refuses a name defined twice)."""
    ctes = household_ctes(rules.assessment, year=year, division_prefix=prefix, dialect=d)
    if tag:
        names = re.compile(r"\b(" + "|".join(re.escape(name) for name, _ in ctes) + r")\b")
        ctes = [(f"{tag}_{name}", names.sub(rf"{tag}_\1", body)) for name, body in ctes]
        select = names.sub(rf"{tag}_\1", select)
    return f"{with_clause(ctes)}\n{select}"


def _health(health: str, level: str) -> str:
    """健康状况 as words, with the disability level: 大病, 残疾(一级), 缺数据."""
    return (f"CASE WHEN {health} IS NULL THEN '缺数据' "
            f"WHEN {health} = '{v.DISABLED}' AND {level} IS NOT NULL THEN '残疾(' || "
            f"{label_of(level, v.DISABILITY_LEVEL_LABELS)} || ')' ELSE {label_of(health, v.HEALTH_LABELS)} END")


def _loan_ctes(rules: MonitoringRules, d: Dialect) -> list[CTE]:
    """``loan_households``: per household with a loan overdue more than loan_overdue_warning_days, the loans'
    text (number, days, outstanding) and signature part (the loan numbers only: the days grow every day, and a
    daily run must not raise the same overdue loan again)."""
    late = f"days > {int(rules.loan_overdue_days)} AND outstanding > 0"
    text = (f"'扶贫小额信贷' || loan_no || '逾期' || {d.int_text('days')} || '天,尚欠本金' || "
            f"{d.decimal_text('outstanding')} || '元'")
    return [("loan_households", f"""  SELECT household_key, TRUE AS loan_overdue,
         {d.string_agg(text, ';', 'loan_no')} AS loan_text,
         {d.string_agg('loan_no', ',', 'loan_no')} AS loan_sig
  FROM loans_overdue
  WHERE {late}
  GROUP BY household_key""")]


def registered_ctes(rules: MonitoringRules, *, year: int, prefix: str | None, d: Dialect,
                    signals: bool, loans: bool = False) -> list[CTE]:
    """CTEs ending in ``registered_warned``: one row per registered household with at least one signal."""
    year, last = int(year), int(year) - 1
    cur = _nested(rules, year, prefix, d, """SELECT r.household_key, r.household_no, r.village_code, r.status,
       r.per_capita_income, r.h_edu, r.h_med, r.h_house, t.edu_reasons, t.med_reasons
FROM household_results AS r LEFT JOIN mem_texts AS t ON t.household_key = r.household_key""")
    prev = _nested(rules, last, prefix, d,
                   "SELECT household_key, per_capita_income, result FROM household_results", tag="prev")
    nulled = {c: f"NULLIF({c}, '') AS {c}" for c in ("health", "disability_level", "labour_ability")}
    severe = (f"(health = '{v.SERIOUS_ILLNESS}' OR (health = '{v.DISABLED}' "
              f"AND disability_level IN {in_list(v.SEVERE_DISABILITY_LEVELS)}))")
    scope = f" AND {d.starts_with('village_code', prefix)}" if prefix else ""
    active = f"(member_status IS NULL OR member_status IN {in_list(('', v.MEMBER_ACTIVE))})"
    died = (f"(member_status = '{v.MEMBER_DECEASED}' AND change_date >= DATE '{year}-01-01' "
            f"AND change_date <= DATE '{year}-12-31')")
    # The few members of the year that may raise M-SUDDEN: dead in the year, or active and seriously ill now.
    candidates = f"""  SELECT household_key, name, id_hash, birth_date, {nulled['health']},
         {nulled['disability_level']}, {nulled['labour_ability']}, change_date,
         {died} AS died_in_year, ({active} AND {severe}) AS severe_now
  FROM (SELECT household_key, coalesce(name, '') AS name, NULLIF(id_hash, '') AS id_hash, birth_date,
               health, disability_level, labour_ability, member_status, change_date
        FROM members WHERE year = {year}) AS m
  WHERE ({died} OR ({active} AND {severe}))
    AND household_key IN (SELECT household_key FROM households
                          WHERE year = {year} AND status IN {in_list(v.REGISTERED_STATUSES)}{scope})"""
    # The same people last year, in any household (a person may have moved); a duplicated ID keeps its worst row.
    previous_people = f"""  SELECT id_hash, bool_or(coalesce({severe}, FALSE)) AS was_severe,
         max(NULLIF(labour_ability, '')) AS labour_ability,
         max(NULLIF(health, '')) AS health, max(NULLIF(disability_level, '')) AS disability_level
  FROM members
  WHERE year = {last} AND id_hash IN (SELECT id_hash FROM sudden_candidates)
  GROUP BY id_hash"""
    last_households = f"SELECT DISTINCT household_key FROM households WHERE year = {last}"
    labour = "coalesce(c.labour_ability, p.labour_ability)"
    judged = f"""  SELECT c.household_key, c.name, c.id_hash, c.birth_date, c.change_date, c.health,
         c.disability_level,
         p.health AS last_health, p.disability_level AS last_level, p.id_hash IS NOT NULL AS known_last_year,
         c.died_in_year AND {labour} IN {in_list(v.BREADWINNER_LABOUR)} AS breadwinner_died,
         {label_of(labour, v.LABOUR_ABILITY_LABELS)} AS labour_word,
         c.severe_now AND CASE WHEN p.id_hash IS NOT NULL THEN NOT p.was_severe
                               ELSE lh.household_key IS NOT NULL END AS fell_ill
  FROM sudden_candidates AS c
  LEFT JOIN previous_people AS p ON p.id_hash = c.id_hash
  LEFT JOIN last_households AS lh ON lh.household_key = c.household_key"""
    person = "coalesce(id_hash, name)"
    date_text = "CAST(change_date AS VARCHAR)"
    death_text = f"'成员' || name || {date_text} || '死亡(原为' || labour_word || ')'"
    illness_text = (f"'成员' || name || '健康状况为' || {_health('health', 'disability_level')} || "
                    f"CASE WHEN known_last_year THEN ',上年为' || {_health('last_health', 'last_level')} "
                    "ELSE ',上年不在册' END")
    order = "birth_date, name, id_hash"
    death_sig = f"CASE WHEN breadwinner_died THEN {person} || ':' || {date_text} END"
    illness_sig = f"CASE WHEN fell_ill THEN {person} || ':' || health || coalesce('/' || disability_level, '') END"
    sudden = f"""  SELECT household_key, bool_or(breadwinner_died) AS breadwinner_death,
         bool_or(fell_ill) AS new_illness,
         {d.string_agg(f'CASE WHEN breadwinner_died THEN {death_text} END', ';', order)} AS death_text,
         {d.string_agg(f'CASE WHEN fell_ill THEN {illness_text} END', ';', order)} AS illness_text,
         {d.string_agg(death_sig, ',', 'id_hash, name')} AS death_sig,
         {d.string_agg(illness_sig, ',', 'id_hash, name')} AS illness_sig
  FROM sudden_judged
  WHERE breadwinner_died OR fell_ill
  GROUP BY household_key"""
    ctes = [("cur", cur), ("prev", prev), ("sudden_candidates", candidates), ("previous_people", previous_people),
            ("last_households", last_households), ("sudden_judged", judged), ("sudden", sudden)]

    if signals:
        sig_order = "id_order, explanation"
        per_rule = []
        for rule, col in ((MEDCOST, "medical_cost"), (DISASTER, "disaster")):
            is_rule = f"rule = {string_literal(rule)}"
            per_rule.append(f"""bool_or({is_rule}) AS {col},
         {d.string_agg(f'CASE WHEN {is_rule} THEN explanation END', ';', sig_order)} AS {col}_text,
         {d.string_agg(f"CASE WHEN {is_rule} THEN coalesce(id_hash, '') || ':' || explanation END", ',',
                       sig_order)} AS {col}_sig""")
        ctes.append(("signal_households", f"""  SELECT household_key, {', '.join(per_rule)}
  FROM signals
  WHERE year = {year} AND rule IN {in_list((MEDCOST, DISASTER))} AND household_key IS NOT NULL
  GROUP BY household_key"""))
        signal_join = "LEFT JOIN signal_households AS g ON g.household_key = c.household_key"
        signal_cols = ("coalesce(g.medical_cost, FALSE) AS medical_cost, coalesce(g.disaster, FALSE) AS disaster, "
                       "g.medical_cost_text, g.disaster_text, g.medical_cost_sig, g.disaster_sig")
    else:
        signal_join = ""
        signal_cols = ("FALSE AS medical_cost, FALSE AS disaster, CAST(NULL AS VARCHAR) AS medical_cost_text, "
                       "CAST(NULL AS VARCHAR) AS disaster_text, CAST(NULL AS VARCHAR) AS medical_cost_sig, "
                       "CAST(NULL AS VARCHAR) AS disaster_sig")

    if loans:
        ctes += _loan_ctes(rules, d)
        loan_join = "LEFT JOIN loan_households AS lo ON lo.household_key = c.household_key"
        loan_cols = "coalesce(lo.loan_overdue, FALSE) AS loan_overdue, lo.loan_text, lo.loan_sig"
    else:
        loan_join = ""
        loan_cols = "FALSE AS loan_overdue, CAST(NULL AS VARCHAR) AS loan_text, CAST(NULL AS VARCHAR) AS loan_sig"

    exited = f"c.status = '{v.EXITED}'"
    cur_fen, prev_fen = d.fen("c.per_capita_income"), d.fen("p.per_capita_income")
    flagged = f"""  SELECT c.*, p.per_capita_income AS last_income,
         coalesce({exited} AND {cur_fen} < {rules.line_cents_ceiling}, FALSE) AS income_below_line,
         coalesce({exited} AND {prev_fen} > 0
                  AND {cur_fen} * {SHARE_SCALE} <= {prev_fen} * {rules.kept_share_scaled}, FALSE) AS income_drop,
         coalesce(s.breadwinner_death, FALSE) AS breadwinner_death, coalesce(s.new_illness, FALSE) AS new_illness,
         s.death_text, s.illness_text, s.death_sig, s.illness_sig,
         coalesce(p.result = 0 AND c.h_edu = 2, FALSE) AS slip_edu,
         coalesce(p.result = 0 AND c.h_med = 2, FALSE) AS slip_med,
         coalesce(p.result = 0 AND c.h_house = 2, FALSE) AS slip_house,
         {signal_cols}, {loan_cols}
  FROM cur AS c
  LEFT JOIN prev AS p ON p.household_key = c.household_key
  LEFT JOIN sudden AS s ON s.household_key = c.household_key
  {signal_join}
  {loan_join}"""
    warned = """  SELECT *
  FROM registered_flags
  WHERE income_below_line OR income_drop OR breadwinner_death OR new_illness OR slip_edu OR slip_med
     OR slip_house OR medical_cost OR disaster OR loan_overdue"""
    # Joined to the warned rows only; each heavy CTE above is read once (Spark inlines CTEs).
    heads = f"""  SELECT household_key, min(coalesce(name, '')) AS head_name
  FROM members
  WHERE year = {year} AND relation = 'head' AND {active}
  GROUP BY household_key"""
    housing = f"""  SELECT household_key, NULLIF(housing_grade, '') AS housing_grade,
         NULLIF(renovation_status, '') AS renovation_status
  FROM households
  WHERE year = {year}"""
    return [*ctes, ("registered_flags", flagged), ("registered_warned", warned), ("registered_heads", heads),
            ("registered_housing", housing)]


def registered_texts(rules: MonitoringRules, d: Dialect) -> tuple[str, str]:
    """(explanation, signals_text) expressions over registered_warned ``w``, heads and housing ``hs``."""
    income, last = d.decimal_text("w.per_capita_income"), d.decimal_text("w.last_income")
    line = rules.line_text
    below = f"'已脱贫户人均可支配收入' || {income} || '元,低于监测线{line}元'"
    share = d.percent_text("(w.last_income - w.per_capita_income)", "w.last_income")
    if d.name == "spark":  # Spark's printf takes no DECIMAL for %f: the same doubles DuckDB divides, made explicit
        share = ("printf('%.2f', CAST(100.0 * (w.last_income - w.per_capita_income) AS DOUBLE) "
                 "/ CAST(w.last_income AS DOUBLE))")
    drop = f"'较上年' || {last} || '元下降' || {share} || '%'"
    unstable = f"""CASE WHEN w.income_below_line AND w.income_drop THEN {below} || ';' || {drop}
            WHEN w.income_below_line THEN {below}
            WHEN w.income_drop THEN '已脱贫户人均可支配收入' || {income} || '元,' || {drop} END"""
    renovation = label_of("hs.renovation_status", v.RENOVATION_LABELS)
    slips = (f"concat_ws('、', "
             f"CASE WHEN w.slip_edu THEN '义务教育无保障(' || coalesce(w.edu_reasons, '') || ')' END, "
             f"CASE WHEN w.slip_med THEN '基本医疗无保障(' || coalesce(w.med_reasons, '') || ')' END, "
             f"CASE WHEN w.slip_house THEN '住房安全无保障(住房安全等级为' || coalesce(hs.housing_grade, '') || "
             f"',危房改造状态为' || coalesce({renovation}, '') || ')' END)")
    slip = f"CASE WHEN w.slip_edu OR w.slip_med OR w.slip_house THEN '上年达标,本年' || {slips} END"
    explanation = (f"concat_ws(';', {unstable}, w.medical_cost_text, w.disaster_text, w.death_text, "
                   f"w.illness_text, {slip}, w.loan_text) || '。'")
    signals_text = f"""concat_ws('|',
      CASE WHEN w.income_below_line THEN 'income_below_line:' || {income} END,
      CASE WHEN w.income_drop THEN 'income_drop:' || {last} || ':' || {income} END,
      CASE WHEN w.medical_cost THEN 'medical_cost:' || w.medical_cost_sig END,
      CASE WHEN w.disaster THEN 'disaster:' || w.disaster_sig END,
      CASE WHEN w.breadwinner_death THEN 'breadwinner_death:' || w.death_sig END,
      CASE WHEN w.new_illness THEN 'new_illness:' || w.illness_sig END,
      CASE WHEN w.slip_edu THEN 'slip_edu:' || coalesce(w.edu_reasons, '') END,
      CASE WHEN w.slip_med THEN 'slip_med:' || coalesce(w.med_reasons, '') END,
      CASE WHEN w.slip_house THEN 'slip_house:' || coalesce(hs.housing_grade, '') || ':'
                                  || coalesce(hs.renovation_status, '') END,
      CASE WHEN w.loan_overdue THEN 'loan_overdue:' || w.loan_sig END)"""
    return explanation, signals_text
