"""Small builders for the library's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sunshine.library import services
from sunshine.library.choices import Level
from sunshine.library.models import PolicyDocument


def doc(title: str, body: str, **fields: Any) -> PolicyDocument:
    fields.setdefault("level", Level.COUNTY)
    fields.setdefault("issued", dt.date(2020, 3, 1))
    return services.add_document(actor=None, title=title, body=body, **fields)
