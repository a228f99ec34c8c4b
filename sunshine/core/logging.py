"""Logs never carry a full ID number."""

from __future__ import annotations

import logging

from sunshine.core.ids import mask_text


class MaskIdNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
