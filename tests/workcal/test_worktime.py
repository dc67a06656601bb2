"""Pure tests of the working-time arithmetic (no database, no Django).

Official schedule used (State Council notices, checked against chinesecalendar 1.11):
2025  元旦 Jan 1 · 春节 Jan 28–Feb 4 (调休 Sun Jan 26, Sat Feb 8) · 清明 Apr 4–6 · 劳动节 May 1–5 (调休 Sun Apr 27)
      · 端午 May 31–Jun 2 · 国庆+中秋 Oct 1–8 (调休 Sun Sep 28, Sat Oct 11)
2026  元旦 Jan 1–3 (调休 Sun Jan 4) · 春节 Feb 15–23 (调休 Sat Feb 14, Sat Feb 28) · 清明 Apr 4–6
      · 劳动节 May 1–5 (调休 Sat May 9) · 端午 Jun 19–21 · 中秋 Sep 25–27 (调休 Sun Sep 20)
      · 国庆 Oct 1–7 (调休 Sat Oct 10)
2027  not published yet: Monday–Friday fallback, unconfirmed.
"""

from __future__ import annotations

import time as pytime
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.workcal.worktime import (
    SHANGHAI,
    OfficeHours,
    WorkCalendar,
    official_schedule,
    parse_office_hours,
)

D = date.fromisoformat


def _range(a: str, b: str) -> set[date]:
    start, end = D(a), D(b)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


HOLIDAYS_2025 = (
    {D("2025-01-01")}
    | _range("2025-01-28", "2025-02-04")
    | _range("2025-04-04", "2025-04-06")
    | _range("2025-05-01", "2025-05-05")
    | _range("2025-05-31", "2025-06-02")
    | _range("2025-10-01", "2025-10-08")
)
WORKDAYS_2025 = {D("2025-01-26"), D("2025-02-08"), D("2025-04-27"), D("2025-09-28"), D("2025-10-11")}
HOLIDAYS_2026 = (
    _range("2026-01-01", "2026-01-03")
    | _range("2026-02-15", "2026-02-23")
    | _range("2026-04-04", "2026-04-06")
    | _range("2026-05-01", "2026-05-05")
    | _range("2026-06-19", "2026-06-21")
    | _range("2026-09-25", "2026-09-27")
    | _range("2026-10-01", "2026-10-07")
)
WORKDAYS_2026 = {
    D("2026-01-04"),
    D("2026-02-14"),
    D("2026-02-28"),
    D("2026-05-09"),
    D("2026-09-20"),
    D("2026-10-10"),
}

OFFICIAL = official_schedule(range(2004, 2031))
CAL = WorkCalendar(*OFFICIAL[:2], confirmed_years=OFFICIAL[2])
# Hand-built calendar with only the dates stated above: must agree with the package-built one.
CAL_HAND = WorkCalendar(
    HOLIDAYS_2025 | HOLIDAYS_2026, WORKDAYS_2025 | WORKDAYS_2026, confirmed_years={2025, 2026}
)


def sh(s: str) -> datetime:
    """'2025-09-26 16:00' → aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(s).replace(tzinfo=SHANGHAI)


# --- the package and the stated schedule ------------------------------------------------------------------------


def test_package_covers_2025_and_2026_as_stated():
    holidays, workdays, years = official_schedule([2025, 2026, 2027])
    assert years == {2025, 2026}
    assert holidays == HOLIDAYS_2025 | HOLIDAYS_2026
    assert workdays == WORKDAYS_2025 | WORKDAYS_2026


def test_official_schedule_unknown_year_is_just_absent():
    holidays, workdays, years = official_schedule([2099])
    assert (holidays, workdays, years) == (set(), set(), set())


@pytest.mark.parametrize(
    "day",
    [D("2025-01-01"), D("2025-06-01"), D("2025-12-31"), D("2026-02-14"), D("2026-10-08"), D("2026-12-31")],
)
def test_hand_built_calendar_agrees_with_package(day):
    for offset in range(-40, 40):
        d = day + timedelta(days=offset)
        if d.year in (2025, 2026):
            assert CAL.is_workday(d) == CAL_HAND.is_workday(d), d


# --- days ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2025-01-24", True),  # Friday before Spring Festival
        ("2025-01-26", True),  # 调休 Sunday
        ("2025-01-28", False),  # 除夕, Tuesday
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),  # 调休 Saturday
        ("2025-09-27", False),  # ordinary Saturday
        ("2025-09-28", True),  # 调休 Sunday
        ("2025-10-01", False),
        ("2025-10-08", False),  # Wednesday, last holiday day
        ("2025-10-09", True),
        ("2025-10-11", True),  # 调休 Saturday
        ("2025-10-12", False),
        ("2026-01-04", True),  # 调休 Sunday
        ("2026-02-14", True),  # 调休 Saturday
        ("2026-02-16", False),
        ("2026-09-20", True),
        ("2026-09-25", False),  # 中秋, Friday
        ("2027-01-01", True),  # unknown year: plain Monday–Friday (a Friday)
        ("2027-01-02", False),
        ("2100-01-01", True),
    ],
)
def test_is_workday(day, workday):
    assert CAL.is_workday(D(day)) is workday


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2025-09-26", 0, "2025-09-26"),
        ("2025-09-26", 1, "2025-09-28"),  # Friday → 调休 Sunday
        ("2025-09-26", 3, "2025-09-30"),
        ("2025-09-26", 4, "2025-10-09"),  # across 国庆+中秋
        ("2025-10-03", 1, "2025-10-09"),  # accepted during the holiday
        ("2025-10-09", 2, "2025-10-11"),  # Thu → Fri → 调休 Sat
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-24", 3, "2025-02-05"),  # across Spring Festival
        ("2025-02-07", 1, "2025-02-08"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-12-31", 1, "2027-01-01"),  # into the unknown year
        ("2026-12-30", 3, "2027-01-04"),
        ("2100-01-01", 5, "2100-01-08"),
    ],
)
def test_nth_workday_after(day, n, expected):
    assert CAL.nth_workday_after(D(day), n) == D(expected)


def test_nth_workday_after_matches_day_by_day_walk_over_two_decades():
    start = D("2004-01-01")
    d = start
    for n in range(1, 365 * 24):
        d += timedelta(days=1)
        while not CAL.is_workday(d):
            d += timedelta(days=1)
        assert CAL.nth_workday_after(start, n) == d
    assert d.year > 2030  # the walk ran well past the known table


def test_workdays_between():
    assert CAL.workdays_between(D("2025-10-01"), D("2025-10-08")) == 0
    assert CAL.workdays_between(D("2025-09-27"), D("2025-10-12")) == 6  # 28, 29, 30, 9, 10, 11
    assert CAL.workdays_between(D("2025-10-12"), D("2025-10-01")) == 0


def test_confirmed_flags():
    assert CAL.is_confirmed(D("2026-12-31"))
    assert not CAL.is_confirmed(D("2027-01-01"))
    assert CAL.confirmed_between(D("2025-01-01"), D("2026-12-31"))
    assert not CAL.confirmed_between(sh("2026-12-30 10:00"), sh("2027-01-05 10:00"))
    # 15:00Z is 23:00 local on Dec 31 (range given in reverse order); 16:00Z is already 2027 locally.
    assert CAL.confirmed_between(datetime(2026, 12, 31, 15, 0, tzinfo=UTC), D("2026-01-01"))
    assert not CAL.confirmed_between(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), D("2026-12-01"))
    assert CAL.unconfirmed_years_between(D("2026-06-01"), D("2028-01-01")) == [2027, 2028]


# --- working seconds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (sh("2025-09-29 09:00"), sh("2025-09-29 09:00"), 0),
        (sh("2025-09-29 10:00"), sh("2025-09-29 09:00"), 0),  # end before start
        (sh("2025-09-29 09:00"), sh("2025-09-29 10:00"), 3600),
        (sh("2025-09-29 11:00"), sh("2025-09-29 15:00"), 7200),  # lunch break not counted
        (sh("2025-09-29 07:00"), sh("2025-09-29 20:00"), 25200),  # one full day
        # Friday before the holiday 16:00 → Monday 09:00: 1.5 h Fri + 调休 Sunday + 0.5 h Mon
        (sh("2025-09-26 16:00"), sh("2025-09-29 09:00"), 5400 + 25200 + 1800),
        # whole Golden Week is not counted
        (sh("2025-09-30 17:00"), sh("2025-10-09 08:45"), 1800 + 900),
        # Spring Festival 2025
        (sh("2025-01-27 17:00"), sh("2025-02-05 08:45"), 1800 + 900),
        # a whole Saturday that is an ordinary weekend
        (sh("2025-09-27 00:00"), sh("2025-09-28 00:00"), 0),
        # a 调休 Saturday counts fully
        (sh("2025-10-11 00:00"), sh("2025-10-12 00:00"), 25200),
        # other time zones: 01:00Z = 09:00 Shanghai, 07:00Z = 15:00 Shanghai
        (datetime(2025, 9, 29, 1, 0, tzinfo=UTC), datetime(2025, 9, 29, 7, 0, tzinfo=UTC), 3 * 3600 + 3600),
        # unknown year, computed Monday–Friday
        (sh("2027-01-01 08:30"), sh("2027-01-04 17:30"), 2 * 25200),
    ],
)
def test_working_seconds_between(start, end, seconds):
    assert CAL.working_seconds_between(start, end) == seconds


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (sh("2025-09-26 16:00"), 0, sh("2025-09-26 16:00")),
        (sh("2025-09-26 16:00"), 5400, sh("2025-09-26 17:30")),  # at close: same day
        (sh("2025-09-26 16:00"), 5401, sh("2025-09-28 08:30:01")),  # 调休 Sunday
        (sh("2025-09-29 11:00"), 3600, sh("2025-09-29 12:00")),
        (sh("2025-09-29 11:00"), 3601, sh("2025-09-29 14:00:01")),
        (sh("2025-09-30 17:00"), 1801, sh("2025-10-09 08:30:01")),
        (sh("2025-09-27 10:00"), 1, sh("2025-09-28 08:30:01")),  # from a weekend
        (sh("2025-09-29 20:00"), 25200, sh("2025-09-30 17:30")),
        (sh("2026-12-31 17:00"), 1800 + 25200, sh("2027-01-01 17:30")),
    ],
)
def test_add_working_seconds(start, seconds, expected):
    assert CAL.add_working_seconds(start, seconds) == expected


@pytest.mark.parametrize(
    ("end", "seconds", "expected"),
    [
        (sh("2025-10-09 08:30"), 0, sh("2025-10-09 08:30")),
        (sh("2025-10-09 08:30"), 25200, sh("2025-09-30 08:30")),
        (sh("2025-10-09 08:30"), 1, sh("2025-09-30 17:29:59")),
        (sh("2025-10-09 09:00"), 1800, sh("2025-10-09 08:30")),
        (sh("2025-10-09 09:00"), 1800 + 25200, sh("2025-09-30 08:30")),
        (sh("2025-09-29 14:30"), 1800, sh("2025-09-29 14:00")),  # latest: 14:00, not 12:00
        (sh("2025-09-29 14:30"), 1801, sh("2025-09-29 11:59:59")),
        (sh("2025-09-29 09:00"), 1800 + 1, sh("2025-09-28 17:29:59")),  # into the 调休 Sunday
    ],
)
def test_subtract_working_seconds(end, seconds, expected):
    assert CAL.subtract_working_seconds(end, seconds) == expected


# --- the case clock --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted_at", "expected"),
    [
        (sh("2025-09-26 10:00"), sh("2025-09-28 08:30")),  # Friday → 调休 Sunday
        (sh("2025-09-30 18:30"), sh("2025-10-09 08:30")),  # after hours before Golden Week
        (sh("2025-10-11 10:00"), sh("2025-10-13 08:30")),  # accepted on the 调休 Saturday
        (sh("2025-10-05 10:00"), sh("2025-10-09 08:30")),  # accepted during the holiday
        (sh("2026-12-31 16:00"), sh("2027-01-01 08:30")),  # into the unknown year
        (datetime(2025, 9, 30, 16, 30, tzinfo=UTC), sh("2025-10-09 08:30")),  # 00:30 Oct 1 local
    ],
)
def test_clock_start(accepted_at, expected):
    assert CAL.clock_start(accepted_at) == expected


@pytest.mark.parametrize(
    ("accepted_at", "days", "unit", "expected"),
    [
        # Friday before a holiday: the 调休 Sunday counts, Golden Week does not
        (sh("2025-09-26 10:00"), 1, "workday", sh("2025-09-28 17:30")),
        (sh("2025-09-26 10:00"), 3, "workday", sh("2025-09-30 17:30")),
        (sh("2025-09-26 10:00"), 5, "workday", sh("2025-10-10 17:30")),
        (sh("2025-09-26 10:00"), 20, "workday", sh("2025-10-30 17:30")),
        # Friday before Spring Festival 2025
        (sh("2025-01-24 15:00"), 3, "workday", sh("2025-02-05 17:30")),
        # Friday before Spring Festival 2026 (Sat Feb 14 is 调休)
        (sh("2026-02-13 15:00"), 2, "workday", sh("2026-02-24 17:30")),
        # accepted on a 调休 Saturday: the acceptance day is not counted
        (sh("2025-10-11 10:00"), 1, "workday", sh("2025-10-13 17:30")),
        (sh("2025-02-08 09:00"), 2, "workday", sh("2025-02-11 17:30")),
        # after office hours: still the acceptance date that is excluded
        (sh("2025-09-29 19:00"), 1, "workday", sh("2025-09-30 17:30")),
        # 即办件
        (sh("2025-09-29 10:00"), 0, "workday", sh("2025-09-29 17:30")),
        (sh("2025-09-29 19:00"), 0, "workday", sh("2025-09-29 19:00")),
        (sh("2025-09-29 19:00"), 0, "natural", sh("2025-09-29 19:00")),
        # natural days: landing on a day off moves to the next working day (民法典 第203条)
        (sh("2025-09-26 10:00"), 1, "natural", sh("2025-09-28 17:30")),  # Sat 27 → 调休 Sun 28
        (sh("2025-09-26 10:00"), 2, "natural", sh("2025-09-28 17:30")),
        (sh("2025-09-26 10:00"), 5, "natural", sh("2025-10-09 17:30")),  # Oct 1 → Oct 9
        (sh("2025-09-26 10:00"), 15, "natural", sh("2025-10-11 17:30")),  # 调休 Saturday itself
        (sh("2025-09-26 10:00"), 16, "natural", sh("2025-10-13 17:30")),
        # unknown year: computed Monday–Friday, no exception
        (sh("2026-12-30 10:00"), 3, "workday", sh("2027-01-04 17:30")),
        (sh("2100-06-01 10:00"), 10, "workday", sh("2100-06-15 17:30")),
    ],
)
def test_due_after(accepted_at, days, unit, expected):
    due = CAL.due_after(accepted_at, days, unit)
    assert due == expected
    assert due.tzinfo == SHANGHAI


def test_due_in_unknown_year_is_flagged_unconfirmed():
    accepted = sh("2026-12-30 10:00")
    due = CAL.due_after(accepted, 3)
    assert not CAL.confirmed_between(accepted, due)
    assert CAL.confirmed_between(accepted, CAL.due_after(accepted, 1))


def test_due_after_limit_equals_working_seconds_from_clock_start():
    accepted = sh("2025-09-26 10:00")
    for days in range(1, 40):
        due = CAL.due_after(accepted, days)
        assert CAL.working_seconds_between(CAL.clock_start(accepted), due) == days * CAL.seconds_per_day


# --- validation and configuration ------------------------------------------------------------------------------


def test_bad_input():
    with pytest.raises(ValueError, match="naive"):
        CAL.working_seconds_between(datetime(2025, 1, 1, 9), sh("2025-01-02 09:00"))
    with pytest.raises(ValueError, match="days"):
        CAL.due_after(sh("2025-01-02 09:00"), -1)
    with pytest.raises(ValueError, match="unit"):
        CAL.due_after(sh("2025-01-02 09:00"), 1, "hours")
    with pytest.raises(ValueError):
        CAL.nth_workday_after(D("2025-01-02"), -1)


def test_office_hours():
    assert OfficeHours().seconds_per_day == 25200
    assert CAL.seconds_per_day == 25200
    assert CAL.working_days(25200 * 3 + 12600) == 3.5
    oh = parse_office_hours(" 09:00-17:00 ")
    assert oh.periods == ((time(9), time(17)),)
    assert parse_office_hours("08:30-12:00,14:00-17:30") == OfficeHours()
    assert str(OfficeHours()) == "08:30-12:00,14:00-17:30"
    for bad in ("", "9-17", "17:00-09:00", "08:00-12:00,11:00-13:00", "junk"):
        with pytest.raises(ValueError):
            parse_office_hours(bad)


def test_single_period_custom_hours():
    cal = WorkCalendar(office_hours=parse_office_hours("09:00-17:00"))
    assert cal.seconds_per_day == 8 * 3600
    assert cal.add_working_seconds(sh("2025-09-26 16:00"), 3600) == sh("2025-09-26 17:00")
    assert cal.due_after(sh("2025-09-26 10:00"), 1) == sh("2025-09-29 17:00")  # no holidays known
    assert not cal.is_confirmed(D("2025-09-26"))


def test_set_semantics_edge_cases():
    # A holiday on a weekend and a 调休 on a weekday change nothing; a date in both sets is a working day.
    cal = WorkCalendar(
        holidays={D("2025-09-27"), D("2025-09-29")},
        workdays={D("2025-09-30"), D("2025-09-29")},
    )
    assert cal.is_workday(D("2025-09-26"))
    assert not cal.is_workday(D("2025-09-27"))
    assert cal.is_workday(D("2025-09-29"))
    assert cal.nth_workday_after(D("2025-09-26"), 1) == D("2025-09-29")
    assert cal.workdays_between(D("2025-09-22"), D("2025-10-05")) == 10


def test_empty_calendar_is_monday_to_friday():
    cal = WorkCalendar()
    assert cal.nth_workday_after(D("2025-10-03"), 1) == D("2025-10-06")
    assert cal.working_seconds_between(sh("2025-10-03 08:00"), sh("2025-10-06 18:00")) == 2 * 25200


def test_performance_is_independent_of_span():
    far = sh("9000-01-01 10:00")
    started = pytime.perf_counter()
    for i in range(2000):
        CAL.working_seconds_between(sh("2004-01-01 09:00"), far + timedelta(days=i))
        CAL.nth_workday_after(D("2004-01-01"), 1_000_000 + i)
        CAL.add_working_seconds(sh("2004-01-01 09:00"), 25200 * 900_000 + i)
    assert pytime.perf_counter() - started < 2.0
    assert not CAL.is_confirmed(CAL.nth_workday_after(D("2004-01-01"), 1_000_000))


# --- properties ------------------------------------------------------------------------------------------------

ZONES = [SHANGHAI, UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
instants = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 3, 1), timezones=st.sampled_from(ZONES)
)
amounts = st.integers(min_value=0, max_value=25200 * 60)


def _reference_seconds(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Day-by-day reference implementation (whole-second resolution)."""
    start = start.astimezone(SHANGHAI).replace(microsecond=0)
    end = end.astimezone(SHANGHAI).replace(microsecond=0)
    total = 0
    d = start.date()
    while d <= end.date():
        if cal.is_workday(d):
            for a, b in cal.office_hours.periods:
                lo = max(start, datetime.combine(d, a, SHANGHAI))
                hi = min(end, datetime.combine(d, b, SHANGHAI))
                if hi > lo:
                    total += int((hi - lo).total_seconds())
        d += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(instants, instants)
def test_matches_day_by_day_reference(a, b):
    assert CAL.working_seconds_between(a, b) == (_reference_seconds(CAL, a, b) if b > a else 0)


@settings(max_examples=300, deadline=None)
@given(instants, instants, instants)
def test_monotonic_and_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    ab, bc, ac = (CAL.working_seconds_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert 0 <= ab <= ac and bc <= ac


@settings(max_examples=300, deadline=None)
@given(instants, amounts, amounts)
def test_add_is_monotonic_in_amount(s, k1, k2):
    k1, k2 = sorted((k1, k2))
    assert CAL.add_working_seconds(s, k1) <= CAL.add_working_seconds(s, k2)


@settings(max_examples=500, deadline=None)
@given(instants, amounts)
def test_add_inverts_count_and_is_earliest(s, k):
    t = CAL.add_working_seconds(s, k)
    assert t >= s
    assert CAL.working_seconds_between(s, t) == k
    if k > 0:
        assert CAL.working_seconds_between(s, t - timedelta(microseconds=1)) == k - 1
        local = t.astimezone(SHANGHAI)
        assert CAL.is_workday(local.date())  # never lands on a holiday
        assert any(
            datetime.combine(local.date(), a, SHANGHAI) < local <= datetime.combine(local.date(), b, SHANGHAI)
            for a, b in CAL.office_hours.periods
        )


@settings(max_examples=500, deadline=None)
@given(instants, amounts)
def test_subtract_inverts_count_and_is_latest(e, k):
    t = CAL.subtract_working_seconds(e, k)
    assert t <= e
    assert CAL.working_seconds_between(t, e) == k
    if k > 0:
        assert CAL.working_seconds_between(t + timedelta(seconds=1), e) == k - 1
        assert CAL.is_workday(t.astimezone(SHANGHAI).date())


@settings(max_examples=500, deadline=None)
@given(instants, amounts)
def test_subtract_is_inverse_of_add(s, k):
    t = CAL.add_working_seconds(s, k)
    back = CAL.subtract_working_seconds(t, k)
    # Same working position; equal to s whenever s is a whole second where the clock is running.
    assert CAL.working_seconds_between(min(s, back), max(s, back)) == 0
    assert CAL.working_seconds_between(back, t) == k
    assert CAL.add_working_seconds(back, k) == t or k == 0


@st.composite
def running_clock_instants(draw):
    """Whole-second instants inside office hours of a working day (where the clock runs), any zone."""
    day = draw(st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 3, 1)).filter(CAL.is_workday))
    start, end = draw(st.sampled_from(CAL.office_hours.periods))
    span = int((datetime.combine(day, end) - datetime.combine(day, start)).total_seconds())
    local = datetime.combine(day, start, SHANGHAI) + timedelta(seconds=draw(st.integers(0, span - 1)))
    return local.astimezone(draw(st.sampled_from(ZONES)))


@settings(max_examples=300, deadline=None)
@given(running_clock_instants(), amounts)
def test_subtract_of_add_returns_start_inside_office_hours(s, k):
    assert CAL.subtract_working_seconds(CAL.add_working_seconds(s, k), k) == s


ALL_OFF_DAYS = sorted(d for d in HOLIDAYS_2025 | HOLIDAYS_2026 if d.weekday() < 5)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_OFF_DAYS), st.sampled_from(ZONES))
def test_holidays_never_counted(day, zone):
    start = datetime.combine(day, time(0), SHANGHAI).astimezone(zone)
    end = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(zone)
    assert not CAL.is_workday(day)
    assert CAL.working_seconds_between(start, end) == 0
    assert CAL.add_working_seconds(start, 1).astimezone(SHANGHAI).date() > day


@settings(max_examples=500, deadline=None)
@given(instants, st.integers(min_value=0, max_value=60), st.sampled_from(["workday", "natural"]))
def test_due_after_never_before_acceptance(accepted, days, unit):
    due = CAL.due_after(accepted, days, unit)
    assert due >= accepted
    if days:
        assert due.astimezone(SHANGHAI).date() > accepted.astimezone(SHANGHAI).date()
        assert CAL.is_workday(due.date())
        assert CAL.due_after(accepted, days + 1, unit) >= due
        if unit == "workday":
            assert CAL.working_seconds_between(CAL.clock_start(accepted), due) == days * CAL.seconds_per_day
