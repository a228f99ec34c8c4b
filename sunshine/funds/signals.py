"""A stored dividend distribution (DividendShare) is dropped when what it was computed from changes through
the ORM — an asset, its villages, its income — so the next read computes it again. Bulk writes of the file
imports, which send no signals, drop it themselves (sunshine.funds.transfer.credit_kinds)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save


def _forget_asset(sender: Any, instance: Any, **_: Any) -> None:
    from sunshine.funds.credit import forget_dividends

    forget_dividends(instance.county_id)


def _forget_income(sender: Any, instance: Any, **_: Any) -> None:
    from sunshine.funds.credit import forget_dividends
    from sunshine.funds.models_credit import Asset

    county = Asset.objects.filter(pk=instance.asset_id).values_list("county_id", flat=True).first()
    if county:
        forget_dividends(county, [instance.year])


def _forget_villages(sender: Any, instance: Any, action: str, **_: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _forget_asset(sender, instance)


def connect() -> None:
    from sunshine.funds.models_credit import Asset, AssetIncome

    for signal in (post_save, post_delete):
        signal.connect(_forget_asset, sender=Asset, dispatch_uid="funds_forget_asset")
        signal.connect(_forget_income, sender=AssetIncome, dispatch_uid="funds_forget_income")
    m2m_changed.connect(_forget_villages, sender=Asset.villages.through, dispatch_uid="funds_forget_villages")
