"""Write side of the working calendar: official sync, administrators' overrides, confirmed years."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import (
    CalendarChange,
    CalendarDay,
    CalendarVersion,
    CalendarYear,
    DayKind,
    DaySource,
    Reprojection,
    ReprojectionStatus,
)
from .signals import calendar_changed
from .worktime import official_schedule

logger = logging.getLogger("xiaoneng.workcal")

__all__ = [
    "SyncResult",
    "bump_version",
    "clear_override",
    "confirm_year",
    "daily_sync_and_check",
    "reproject_stale",
    "run_reprojection",
    "schedule_reprojection",
    "set_override",
    "sync_official",
]


def bump_version() -> str:
    """Give the calendar a new version token (every process rebuilds its cached calendars)."""
    token = uuid.uuid4().hex
    CalendarVersion.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": timezone.now()})
    return token


def schedule_reprojection(dates: Iterable[date], region_code: str | None) -> Reprojection:
    """Queue the re-projection of the open cases of ``region_code`` (None: all) for after the commit.

    Called inside the transaction that changes the calendar. A change to a scope whose run has not started yet
    joins that run (its row is locked, so a worker claims it only after this commit and sees the change);
    otherwise a new run is created and its task enqueued once the change is committed.
    """
    iso = {d.isoformat() for d in dates}
    scope = region_code or ""
    waiting = (
        Reprojection.objects.select_for_update()
        .filter(status=ReprojectionStatus.PENDING, region_code=scope)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        waiting.dates = sorted(set(waiting.dates) | iso)
        waiting.save(update_fields=["dates"])
        return waiting
    run = Reprojection.objects.create(region_code=scope, dates=sorted(iso))
    transaction.on_commit(partial(_enqueue, run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import reproject_cases

    reproject_cases.enqueue(run_id)


def run_reprojection(run_id: int, *, chunk_size: int = 500) -> int:
    """Re-derive the clocks (due dates, ``next_check_at``) of the run's open cases, one transaction per chunk.

    Idempotent and resumable: a finished run does nothing, and each chunk commits together with the run's
    cursor, so a run interrupted by a worker restart continues after the last committed chunk. Re-deriving a
    case twice gives the same result. Returns the cases re-derived by this call.
    """
    from xiaoneng.cases.services import cases_to_reproject, rederive_cases

    now = timezone.now()
    claimed = (
        Reprojection.objects.filter(pk=run_id)
        .exclude(status=ReprojectionStatus.DONE)
        .update(status=ReprojectionStatus.RUNNING, progress_at=now, error="")
    )
    if not claimed:
        return 0
    run = Reprojection.objects.get(pk=run_id)
    ids = list(cases_to_reproject(run.region_code or None).filter(pk__gt=run.last_case_id))
    runs = Reprojection.objects.filter(pk=run_id)
    if run.started_at is None:
        runs.update(started_at=now, total=len(ids))
    count = 0
    try:
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start : start + chunk_size]
            with transaction.atomic():
                n = rederive_cases(chunk)
                runs.update(last_case_id=chunk[-1], done=F("done") + n, progress_at=timezone.now())
            count += n
    except Exception as exc:
        runs.update(status=ReprojectionStatus.FAILED, error=repr(exc)[:2000])
        logger.exception("calendar re-projection %s failed after %d cases", run_id, count)
        raise
    runs.update(status=ReprojectionStatus.DONE, finished_at=timezone.now())
    logger.info("calendar re-projection %s (%s, %s): %d open cases re-derived", run_id,
                run.region_code or "national", ", ".join(run.dates[:5]), count)
    return count


def reproject_stale(stalled_after: timedelta = timedelta(minutes=5)) -> int:
    """Periodic job: finish runs whose task was lost, whose worker stopped, or that failed (retried every
    interval while the failure lasts; the admin shows the error). Returns the cases re-derived."""
    cutoff = timezone.now() - stalled_after
    stale = Reprojection.objects.filter(
        Q(status=ReprojectionStatus.PENDING, created_at__lt=cutoff)
        | Q(status__in=[ReprojectionStatus.RUNNING, ReprojectionStatus.FAILED], progress_at__lt=cutoff)
    )
    count = 0
    for pk in stale.order_by("pk").values_list("pk", flat=True):
        try:
            count += run_reprojection(pk)
        except Exception:  # logged with the run; the other runs still go ahead
            continue
    return count


def _region(region):
    """Region instance from a Region, a 12-digit code, or None."""
    if region is None or region == "":
        return None
    from xiaoneng.org.models import Region

    if isinstance(region, Region):
        return region
    try:
        return Region.objects.get(code=str(region))
    except Region.DoesNotExist:
        from .selectors import UnknownRegion

        raise UnknownRegion(str(region)) from None


@transaction.atomic
def set_override(day: date, kind: str, reason: str, user=None, region=None) -> CalendarDay:
    """Declare ``day`` a holiday or a working day, nationally (``region=None``) or for a region and its subtree.

    ``region`` is a Region or its 12-digit code. The override replaces any official status of that day for
    that scope, is recorded in :class:`CalendarChange` (who, when, why) and sends ``calendar_changed``.
    """
    if kind not in DayKind.values:
        raise ValueError(f"unknown kind {kind!r} (expected one of {', '.join(DayKind.values)})")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an override needs a reason")
    region_obj = _region(region)
    now = timezone.now()
    row = CalendarDay.objects.select_for_update().filter(date=day, region=region_obj).first()
    old_kind, old_source = (row.kind, row.source) if row else ("", "")
    if row is None:
        row = CalendarDay(date=day, region=region_obj)
    row.kind, row.source, row.reason, row.changed_by, row.changed_at = (
        kind,
        DaySource.OVERRIDE,
        reason,
        user,
        now,
    )
    row.save()
    CalendarChange.objects.create(
        date=day,
        region=region_obj,
        old_kind=old_kind,
        old_source=old_source,
        new_kind=kind,
        new_source=DaySource.OVERRIDE,
        reason=reason,
        changed_by=user,
        changed_at=now,
        reprojection=schedule_reprojection([day], region_obj.code if region_obj else None),
    )
    calendar_changed.send(
        sender=CalendarDay, dates=[day], region_code=region_obj.code if region_obj else None
    )
    return row


@transaction.atomic
def clear_override(day: date, reason: str, user=None, region=None) -> CalendarDay | None:
    """Remove the override of ``day`` in that scope; a national day falls back to the official schedule.

    Returns the row now in force for that scope (the official one) or None.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("clearing an override needs a reason")
    region_obj = _region(region)
    row = (
        CalendarDay.objects.select_for_update()
        .filter(date=day, region=region_obj, source=DaySource.OVERRIDE)
        .first()
    )
    if row is None:
        return CalendarDay.objects.filter(date=day, region=region_obj).first()
    old_kind = row.kind
    restored = None
    if region_obj is None:
        holidays, workdays, covered = official_schedule([day.year])
        official_kind = DayKind.WORKDAY if day in workdays else DayKind.HOLIDAY if day in holidays else None
        if official_kind:
            row.kind, row.source, row.reason = official_kind, DaySource.OFFICIAL, ""
            row.changed_by, row.changed_at = user, timezone.now()
            row.save()
            restored = row
    if restored is None:
        row.delete()
    CalendarChange.objects.create(
        date=day,
        region=region_obj,
        old_kind=old_kind,
        old_source=DaySource.OVERRIDE,
        new_kind=restored.kind if restored else "",
        new_source=restored.source if restored else "",
        reason=reason,
        changed_by=user,
        reprojection=schedule_reprojection([day], region_obj.code if region_obj else None),
    )
    calendar_changed.send(
        sender=CalendarDay, dates=[day], region_code=region_obj.code if region_obj else None
    )
    return restored


@transaction.atomic
def confirm_year(year: int, user=None, note: str = "") -> CalendarYear:
    """Mark ``year``'s schedule as known (after an administrator entered it as national overrides)."""
    row, created = CalendarYear.objects.get_or_create(
        year=year, defaults={"source": DaySource.OVERRIDE, "note": note, "confirmed_by": user}
    )
    if created:
        bump_version()
    return row


@dataclass
class SyncResult:
    years: list[int] = field(default_factory=list)  # years the package covers among those requested
    missing_years: list[int] = field(default_factory=list)  # requested years the package does not cover
    created: int = 0
    updated: int = 0
    removed: int = 0
    kept_overrides: int = 0
    changed_dates: list[date] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changed_dates)


@transaction.atomic
def sync_official(years: Iterable[int] | None = None) -> SyncResult:
    """Seed/refresh the national official schedule from ``chinesecalendar`` (idempotent).

    Never touches overrides or regional rows. Official rows of a covered year that the package no longer
    lists are removed (the package corrected itself). Sends ``calendar_changed`` (region_code None) with the
    changed dates when anything changed.
    """
    requested = None if years is None else sorted({int(y) for y in years})
    holidays, workdays, covered = official_schedule(requested)
    result = SyncResult(years=sorted(covered))
    if requested is not None:
        result.missing_years = [y for y in requested if y not in covered]
    if not covered:
        return result
    wanted = {d: DayKind.HOLIDAY for d in holidays}
    wanted.update({d: DayKind.WORKDAY for d in workdays})  # a date in both lists is worked
    existing = {
        row.date: row
        for row in CalendarDay.objects.select_for_update().filter(
            region__isnull=True, date__year__in=sorted(covered)
        )
    }
    now = timezone.now()
    to_create, to_update, to_delete, changed = [], [], [], []
    for day, kind in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            to_create.append(CalendarDay(date=day, kind=kind, source=DaySource.OFFICIAL, changed_at=now))
            changed.append(day)
        elif row.source == DaySource.OVERRIDE:
            result.kept_overrides += 1
        elif row.kind != kind:
            row.kind, row.changed_at = kind, now
            to_update.append(row)
            changed.append(day)
    for day, row in existing.items():
        if row.source == DaySource.OFFICIAL and day not in wanted:
            to_delete.append(row.pk)
            changed.append(day)
    CalendarDay.objects.bulk_create(to_create, batch_size=500)
    CalendarDay.objects.bulk_update(to_update, ["kind", "changed_at"], batch_size=500)
    CalendarDay.objects.filter(pk__in=to_delete).delete()
    known_years = set(CalendarYear.objects.filter(year__in=covered).values_list("year", flat=True))
    new_years = [
        CalendarYear(year=y, source=DaySource.OFFICIAL, note="chinesecalendar") for y in covered - known_years
    ]
    CalendarYear.objects.bulk_create(new_years)
    result.created, result.updated, result.removed = len(to_create), len(to_update), len(to_delete)
    result.changed_dates = sorted(changed)
    if changed or new_years:
        bump_version()
    if changed:
        schedule_reprojection(result.changed_dates, None)
        calendar_changed.send(sender=CalendarDay, dates=result.changed_dates, region_code=None)
    return result


def daily_sync_and_check(days_ahead: int = 60) -> list[int]:
    """Periodic job: sync the official schedule and warn when dates ahead are unconfirmed.

    Returns the unconfirmed years within ``days_ahead`` days.
    """
    from .selectors import get_calendar

    sync_official()
    today = timezone.localdate()
    missing = get_calendar().unconfirmed_years_between(today, today + timedelta(days=days_ahead))
    if missing:
        logger.warning(
            "working calendar: no confirmed official schedule for %s within the next %d days; "
            "enter it as overrides and confirm the year, or upgrade chinesecalendar",
            ", ".join(map(str, missing)),
            days_ahead,
        )
    return missing
