"""The funds API (filled by the pages that use it)."""

from ninja import Router

router = Router(tags=["funds"])
