"""/api/indicators: the pre-aggregated values for other systems."""

from ninja import Router

router = Router(tags=["indicators"])
