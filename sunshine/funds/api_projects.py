"""The projects API (filled by the pages that use it)."""

from ninja import Router

router = Router(tags=["projects"])
