"""Recording a visit (走访): one transaction writes the visit, its photos and — when measures were agreed — the
measure, with the acting user as its author.

The phone may send the same visit more than once (a visit kept offline is resent until an answer arrives): its
``client_uuid`` makes a resend return the visit already stored, unchanged, instead of a second one.

Measures are sunshine.monitoring.models.Measure, the one model shared with monitoring: the measures agreed at a
visit are always a measure of the household and the visit's year. When the household has a warning of that year
being helped (已核实(属实) or 帮扶中), the measure is recorded on it too, exactly as the warning page records one (its
status moves to 帮扶中 and its history gets the step)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from sunshine.assistance.models import Visit, VisitPhoto
from sunshine.assistance.visits.selectors import is_paired
from sunshine.core.signals import announce_change
from sunshine.monitoring.choices import MeasureKind, WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure, WarningEvent
from sunshine.monitoring.workflow import MEASURE, measure_note

if TYPE_CHECKING:
    from sunshine.assistance.models import Cadre
    from sunshine.assistance.visits.photos import ProcessedPhoto
    from sunshine.core.models import User
    from sunshine.registry.models import Household

logger = logging.getLogger(__name__)

# The warnings a measure may be recorded on (monitoring.workflow.STEPS allows MEASURE from these).
HELPED = (WarningStatus.CONFIRMED, WarningStatus.ASSISTING)


@dataclass(frozen=True)
class Recorded:
    visit: Visit
    created: bool
    measure: Measure | None = None


def existing_visit(client_uuid: uuid.UUID | None, cadre: Cadre) -> Visit | None:
    """The visit already stored under this phone id, if it was the same cadre's; another cadre's id is refused."""
    if client_uuid is None:
        return None
    visit = Visit.objects.filter(client_uuid=client_uuid).first()
    if visit is not None and visit.cadre_id != cadre.pk:
        raise PermissionDenied("该走访记录编号已被使用")
    return visit


def record_visit(*, actor: User, cadre: Cadre, household: Household, date: dt.date, notes: str,
                 measures: str = "", latitude: Decimal | None = None, longitude: Decimal | None = None,
                 client_uuid: uuid.UUID | None = None, photos: list[ProcessedPhoto] | tuple = ()) -> Recorded:
    """Store one visit of ``cadre`` to ``household``; the cadre must be paired with it on the visit's date."""
    already = existing_visit(client_uuid, cadre)
    if already is not None:
        return Recorded(visit=already, created=False)
    if not is_paired(cadre, household, date):
        raise ValidationError({"date": ["走访日期不在您与该户的结对期限内"]})
    stored: list[VisitPhoto] = []
    try:
        with transaction.atomic():
            visit = Visit(cadre=cadre, household=household, date=date, notes=notes.strip(),
                          measures=measures.strip(), latitude=latitude, longitude=longitude,
                          client_uuid=client_uuid, created_by=actor)
            visit._history_user = actor  # type: ignore[attr-defined]  # read by simple-history if Visit keeps one
            visit.save()
            for photo in photos:
                stored.append(VisitPhoto(
                    visit=visit, width=photo.width, height=photo.height, taken_at=photo.taken_at,
                    latitude=photo.latitude, longitude=photo.longitude))
                # The file is written to disk here, before the row: a rollback must take it away again (below).
                stored[-1].image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photo.content), save=False)
                stored[-1].save()
            measure = _record_measure(actor=actor, visit=visit) if visit.measures else None
    except BaseException as exc:
        for row in stored:
            row.image.delete(save=False)
        if not isinstance(exc, IntegrityError):
            raise
        # The same visit arrived twice at once (two resends racing): the other request stored it.
        already = existing_visit(client_uuid, cadre)
        if already is None:
            raise
        return Recorded(visit=already, created=False)
    logger.info("visit %s recorded by %s for household %s (%d photos)", visit.pk, actor.pk, household.pk,
                len(photos))
    announce_change(sender=Visit, year=date.year, source="assistance")
    return Recorded(visit=visit, created=True, measure=measure)


def _record_measure(*, actor: User, visit: Visit) -> Measure:
    """The agreed measures as a Measure (kind 其他) of the household and year, on its helped warning if any."""
    warning = (EarlyWarning.objects.select_for_update()
               .filter(household=visit.household, year=visit.date.year, status__in=HELPED)
               .order_by("-id").first())
    measure = Measure.objects.create(warning=warning, household=visit.household, year=visit.date.year,
                                     kind=MeasureKind.OTHER, date=visit.date, note=visit.measures, created_by=actor)
    if warning is None:
        return measure
    before = warning.status
    warning.status = WarningStatus.ASSISTING
    warning.save(update_fields=["status", "updated_at"])
    note = f"{measure_note(MeasureKind.OTHER, None, visit.measures)}(走访 {visit.date:%Y-%m-%d})"
    WarningEvent.objects.create(warning=warning, user=actor, action=MEASURE, from_status=before,
                                to_status=warning.status, note=note)
    return measure
