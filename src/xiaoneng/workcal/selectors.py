"""Read side of the working calendar: ``get_calendar(region_code)`` → :class:`WorkCalendar`.

Resolution per date: national official < national override < override of an ancestor region < override of a
more specific region (the most specific region wins; an override always beats the official schedule).

Calendars are cached in-process and keyed by the token of the ``CalendarVersion`` row, which every change
replaces (one primary-key read per call), so every process notices a change made by any other process.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from .models import CalendarDay, CalendarVersion, CalendarYear, DayKind, DaySource
from .worktime import OfficeHours, WorkCalendar, parse_office_hours

__all__ = ["UnknownRegion", "current_token", "get_calendar", "office_hours", "region_chain"]

DEFAULT_OFFICE_HOURS = "08:30-12:00,14:00-17:30"


class UnknownRegion(LookupError):
    """No region with this code."""


_lock = threading.Lock()
_cache: dict[str, object] = {"token": None, "calendars": {}}


def office_hours() -> OfficeHours:
    """Office hours from ``settings.XN_OFFICE_HOURS`` ("08:30-12:00,14:00-17:30" by default)."""
    spec = getattr(settings, "XN_OFFICE_HOURS", DEFAULT_OFFICE_HOURS) or DEFAULT_OFFICE_HOURS
    try:
        return parse_office_hours(spec)
    except ValueError as exc:
        raise ImproperlyConfigured(f"XN_OFFICE_HOURS: {exc}") from exc


def current_token() -> str:
    return CalendarVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def region_chain(region_code: str) -> list[str]:
    """Codes from the root down to ``region_code`` (inclusive); UnknownRegion if there is no such region."""
    from xiaoneng.org.models import Region

    path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
    if path is None:
        raise UnknownRegion(region_code)
    return [code for code in path.split("/") if code]


def _build(region_code: str | None, hours: OfficeHours) -> WorkCalendar:
    chain = region_chain(region_code) if region_code else []
    depth = {code: i for i, code in enumerate(chain)}
    rows = CalendarDay.objects.filter(Q(region__isnull=True) | Q(region__code__in=chain)).values_list(
        "date", "kind", "source", "region__code"
    )
    best: dict = {}  # date -> (rank, kind)
    for day, kind, source, code in rows:
        if code is None:
            rank = 1 if source == DaySource.OVERRIDE else 0
        else:
            rank = 2 + depth[code]
        if day not in best or rank > best[day][0]:
            best[day] = (rank, kind)
    holidays = {day for day, (_, kind) in best.items() if kind == DayKind.HOLIDAY}
    workdays = {day for day, (_, kind) in best.items() if kind == DayKind.WORKDAY}
    years = CalendarYear.objects.values_list("year", flat=True)
    return WorkCalendar(holidays, workdays, office_hours=hours, confirmed_years=years)


def get_calendar(region_code: str | None = None) -> WorkCalendar:
    """The working calendar in force for ``region_code`` (None or "" → the national calendar).

    Raises :class:`UnknownRegion` for a code that names no region.
    """
    region_code = region_code or None
    token = current_token()
    hours = office_hours()
    key = f"{region_code or ''}|{hours}"
    with _lock:
        if _cache["token"] == token and key in _cache["calendars"]:
            return _cache["calendars"][key]
    calendar = _build(region_code, hours)
    with _lock:
        if _cache["token"] != token:
            _cache["token"] = token
            _cache["calendars"] = {}
        _cache["calendars"][key] = calendar
    return calendar


def clear_cache() -> None:
    with _lock:
        _cache["token"] = None
        _cache["calendars"] = {}
