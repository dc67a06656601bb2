"""The calendar's memo tables never change an answer (pure, no database).

A warm calendar (memo tables filled by many other questions, or cleared all the time by a tiny bound) must answer
exactly as a freshly built one, down to the time zone and ISO text of the datetimes it returns, in any zone —
including zones with daylight saving time and the Shanghai DST years 1986–1991.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.workcal import worktime
from xiaoneng.workcal.worktime import SHANGHAI, WorkCalendar, official_schedule, parse_office_hours

HOLIDAYS, WORKDAYS, YEARS = official_schedule()
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
CAL_ZONES = [SHANGHAI, BERLIN, NEW_YORK, timezone(timedelta(hours=8)), UTC]
HOURS = ["08:30-12:00,14:00-17:30", "00:00-23:59:59", "00:30-01:30,22:00-23:30"]


def build(zone, hours: str) -> WorkCalendar:
    return WorkCalendar(HOLIDAYS, WORKDAYS, parse_office_hours(hours), YEARS, tz=zone)


WARM = {(zone, hours): build(zone, hours) for zone in CAL_ZONES for hours in HOURS}

instants = st.builds(
    lambda base, seconds, micro, zone, fold: (
        (base + timedelta(seconds=seconds, microseconds=micro)).astimezone(zone).replace(fold=fold)
    ),
    st.sampled_from([datetime(2025, 9, 20, tzinfo=SHANGHAI), datetime(1988, 4, 1, tzinfo=SHANGHAI)]),
    st.integers(0, 120 * 86400),
    st.sampled_from([0, 0, 0, 1, 999_999]),
    st.sampled_from([SHANGHAI, SHANGHAI, UTC, BERLIN, NEW_YORK, timezone(timedelta(hours=8))]),
    st.sampled_from([0, 0, 0, 1]),
)


def same(a, b) -> bool:
    if isinstance(a, datetime):
        return isinstance(b, datetime) and (a.isoformat(), a.tzinfo, a.fold) == (
            b.isoformat(),
            b.tzinfo,
            b.fold,
        )
    return type(a) is type(b) and a == b


def answers(cal: WorkCalendar, a: datetime, b: datetime, n: int, seconds: int, unit: str) -> list:
    day = a.astimezone(cal.tz).date()
    return [
        cal.working_seconds_between(a, b),
        cal.add_working_seconds(a, seconds),
        cal.subtract_working_seconds(b, seconds),
        cal.clock_start(a),
        cal.due_after(a, n, unit),
        cal.due_after(b, 0),
        cal.nth_workday_after(day, n),
        cal.close_of_day(day),
        cal.open_of_day(day),
        cal.is_workday(day),
        cal.confirmed_between(a, b),
        cal.workdays_between(day, b.astimezone(cal.tz).date()),
    ]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(WARM, key=repr)),
    instants,
    instants,
    st.integers(0, 30),
    st.integers(0, 25200 * 40),
    st.sampled_from(["workday", "natural"]),
)
def test_warm_calendar_answers_as_a_fresh_one(key, a, b, n, seconds, unit):
    warm = WARM[key]
    expected = answers(build(*key), a, b, n, seconds, unit)
    for _ in range(2):  # the second round is answered from the memo tables
        got = answers(warm, a, b, n, seconds, unit)
        assert all(same(x, y) for x, y in zip(got, expected, strict=True)), (got, expected)


def test_tiny_memo_bound_changes_nothing(monkeypatch):
    fresh = build(BERLIN, HOURS[0])
    monkeypatch.setattr(worktime, "_MEMO_MAX", 2)
    tiny = build(BERLIN, HOURS[0])
    start = datetime(2025, 10, 20, 9, tzinfo=SHANGHAI)
    for i in range(300):
        a = start + timedelta(hours=7 * i)
        b = a + timedelta(days=i % 9, minutes=i)
        assert all(
            same(x, y)
            for x, y in zip(
                answers(tiny, a, b, i % 12, 3600 * i, "workday"),
                answers(fresh, a, b, i % 12, 3600 * i, "workday"),
                strict=True,
            )
        )
    assert all(
        len(memo) <= 2
        for memo in (tiny._day_memo, tiny._at_memo, tiny._add_memo, tiny._due_memo, tiny._pos_memo)
    )


def test_datetime_already_in_the_calendar_zone_counts_as_via_utc():
    """Local fields are read straight off a datetime in the calendar's own zone (``astimezone`` to that zone
    returns it unchanged): the same answers as for the same instant in UTC, on both passes of a DST fall-back."""
    cal = WorkCalendar(tz=NEW_YORK, office_hours=parse_office_hours("00:00-23:59:59"))
    origin = datetime(2025, 10, 1, tzinfo=NEW_YORK)
    for wall in (datetime(2025, 11, 2, 1, 30), datetime(2025, 11, 3, 1, 30), datetime(2025, 11, 3, 14, 5)):
        for fold in (0, 1):
            local = wall.replace(tzinfo=NEW_YORK, fold=fold)
            utc = local.astimezone(UTC)
            assert cal.working_seconds_between(origin, local) == cal.working_seconds_between(origin, utc)
            assert same(cal.add_working_seconds(local, 60), cal.add_working_seconds(utc, 60))
            assert same(cal.due_after(local, 0), cal.due_after(utc, 0))


@pytest.mark.parametrize("value", [date(2025, 1, 1), "2025-01-01", None])
def test_bad_instants_still_raise(value):
    cal = WARM[(SHANGHAI, HOURS[0])]
    with pytest.raises((TypeError, AttributeError)):
        cal.working_seconds_between(value, datetime(2025, 1, 2, tzinfo=SHANGHAI))
    with pytest.raises(ValueError):
        cal.clock_start(datetime(2025, 1, 2))  # naive
