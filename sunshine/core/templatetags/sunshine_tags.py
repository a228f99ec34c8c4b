from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def yes_no(value: bool | None) -> str:
    return {True: "是", False: "否"}.get(value, "未填")
