"""Policy standard pages (issue 11): parameters by their Chinese names (rule codes named too), money in the one
format, people by name, and the region as a select rather than a typed code."""

from __future__ import annotations

import re

from sunshine.policy.models import PolicyStandard
from sunshine.policy.parameters import parameter_label, parameter_rows, parameter_value


def visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_parameter_labels_and_values():
    assert parameter_label("income_line") == "收入标准(元/人·年)"
    assert parameter_label("min_probability") == "概率匹配阈值"
    assert parameter_value("income_line", 6000) == "6,000.00"
    assert parameter_value("county_household_share", 0.97) == "97%"
    assert parameter_value("verification_days", 15) == "15"
    rows = parameter_rows({"income_line": 6500, "notice_days": 7}, changed=["income_line"])
    assert [(r["label"], r["value"], r["changed"]) for r in rows] == [
        ("收入标准(元/人·年)", "6,500.00", True), ("村级公示天数", "7", False)]


def test_list_and_form_show_chinese_names_money_and_people(client, users):
    standard = PolicyStandard.objects.get(version="js-2018-2020-v1")
    standard.created_by = users["analyst"]
    standard.save(update_fields=["created_by"])
    users["analyst"].full_name = "胡红霞"
    users["analyst"].save(update_fields=["full_name"])
    client.force_login(users["analyst"])
    text = visible(client.get("/policy/standards/").content.decode())
    assert "6,000.00" in text and "胡红霞" in text and "analyst" not in text
    page = client.get("/policy/standards/new/").content.decode()
    text = visible(page)
    for word in ("income_line", "H-INC", "M-UNSTABLE", "C-DROPOUT"):
        assert word not in text, word
    assert "§1 收入" in text and "脱贫不稳定户" in text
    assert '<select name="region_code"' in page
