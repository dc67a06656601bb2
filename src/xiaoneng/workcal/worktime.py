"""Pure working-time arithmetic (no Django, no ORM).

Model
-----
* A *working day* is a date that is Monday–Friday and not an official holiday, or a weekend day declared a
  working day (调休).  Dates outside any known schedule fall back to Monday–Friday and are reported as
  *unconfirmed* by :meth:`WorkCalendar.is_confirmed`; nothing ever raises for an unknown year.
* Working time accrues only inside office hours (default 08:30–12:00 and 14:00–17:30, local time) on working days.
* Instants are measured at whole-second resolution: the sub-second part of an input datetime is ignored when
  working time is counted (``working_seconds_between`` is exactly additive and returns ``int``).

Every instant ``t`` has a *working position* ``P(t)``: the number of working seconds between a fixed epoch and
``t``.  ``P(t) = W(day) * seconds_per_day + seconds of office time elapsed on that day`` where ``W(o)`` is the
number of working days strictly before the ordinal ``o``.  ``W`` is computed in O(log n) from a sorted list of
*exceptions* to the Monday–Friday rule (holidays on weekdays, 调休 on weekends) and a prefix sum; its inverse
(the k-th working day) is O(log n) as well.  Nothing loops over days or seconds.

The case clock asks a calendar the same questions over and over (the same days, dues and landing instants for
every case re-derived), so the day table, the k-th working day, the local datetimes built and the date-only
answers (``due_after`` with ``days > 0``, ``clock_start``) are memoised per calendar in bounded tables; an aware
datetime already in the calendar's zone is used as it is (``astimezone`` to the own zone is a no-op).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "OfficeHours",
    "WorkCalendar",
    "official_schedule",
    "parse_office_hours",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

UNIT_WORKDAY = "workday"
UNIT_NATURAL = "natural"
UNITS = (UNIT_WORKDAY, UNIT_NATURAL)


def _tod_seconds(t: time) -> int:
    """Seconds since midnight of a wall-clock time (microseconds ignored)."""
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class OfficeHours:
    """Office periods of one working day, in local wall-clock time, sorted and non-overlapping."""

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        previous_end = -1
        for start, end in periods:
            s, e = _tod_seconds(start), _tod_seconds(end)
            if e <= s:
                raise ValueError(f"office period {start}-{end} ends before it starts")
            if s < previous_end:
                raise ValueError("office periods must be sorted and must not overlap")
            previous_end = e

    @property
    def seconds_per_day(self) -> int:
        return sum(_tod_seconds(end) - _tod_seconds(start) for start, end in self.periods)

    def __str__(self) -> str:
        return ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)


def parse_office_hours(spec: str) -> OfficeHours:
    """Parse ``"08:30-12:00,14:00-17:30"`` into :class:`OfficeHours` (ValueError on bad input)."""
    periods = []
    for chunk in (spec or "").split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            start_s, end_s = (part.strip() for part in chunk.split("-"))
            periods.append((time.fromisoformat(start_s), time.fromisoformat(end_s)))
        except ValueError as exc:
            raise ValueError(f"invalid office hours period {chunk!r} (expected HH:MM-HH:MM)") from exc
    return OfficeHours(tuple(periods))


# --- Monday–Friday arithmetic on proleptic ordinals (ordinal 1 = 0001-01-01, a Monday) -------------------------


def _weekdays_before(o: int) -> int:
    """Number of Monday–Friday ordinals in [1, o)."""
    n = o - 1
    weeks, rest = divmod(n, 7)
    return weeks * 5 + min(rest, 5)


def _kth_weekday(k: int) -> int:
    """Ordinal of the k-th (0-based) Monday–Friday day counted from ordinal 1."""
    weeks, rest = divmod(k, 5)
    return 1 + weeks * 7 + rest


def _is_weekday_ordinal(o: int) -> bool:
    return (o - 1) % 7 < 5


# Each memo table of a calendar (``WorkCalendar._*_memo``) is cleared when it reaches this many entries: a
# calendar lives as long as the process, and the memoised values are cheap to recompute.
_MEMO_MAX = 8192


class WorkCalendar:
    """Working days + office hours, with O(log n) working-time arithmetic.

    ``holidays``: official days off (usually on Mon–Fri; weekend entries are harmless).
    ``workdays``: weekend days declared working days (调休); a date in both sets is a working day.
    ``confirmed_years``: years whose official schedule is known; other dates are computed Mon–Fri and
    flagged unconfirmed.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        office_hours: OfficeHours = OfficeHours(),  # noqa: B008 - frozen, immutable default
        confirmed_years: Iterable[int] = (),
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self.holidays: frozenset[date] = frozenset(holidays)
        self.workdays: frozenset[date] = frozenset(workdays)
        self.office_hours = office_hours
        self.confirmed_years: frozenset[int] = frozenset(int(y) for y in confirmed_years)
        self.tz = tz
        self.seconds_per_day: int = office_hours.seconds_per_day

        # Office periods as seconds of day, with cumulative working seconds before each period.
        self._periods: list[tuple[int, int, int]] = []  # (start, end, cumulative_before)
        cumulative = 0
        for start, end in office_hours.periods:
            s, e = _tod_seconds(start), _tod_seconds(end)
            self._periods.append((s, e, cumulative))
            cumulative += e - s

        # Exceptions to the Mon–Fri rule: -1 for a weekday that is off, +1 for a weekend day that is worked.
        deltas: dict[int, int] = {}
        for d in self.holidays:
            o = d.toordinal()
            if _is_weekday_ordinal(o) and d not in self.workdays:
                deltas[o] = -1
        for d in self.workdays:
            o = d.toordinal()
            if not _is_weekday_ordinal(o):
                deltas[o] = +1
        self._ex_ords: list[int] = sorted(deltas)
        self._ex_delta: list[int] = [deltas[o] for o in self._ex_ords]
        # _ex_prefix[i] = sum of deltas of the first i exceptions.
        self._ex_prefix: list[int] = [0]
        for delta in self._ex_delta:
            self._ex_prefix.append(self._ex_prefix[-1] + delta)
        # _ex_w[i] = W(exception i) = working days strictly before exception i (non-decreasing).
        self._ex_w: list[int] = [
            _weekdays_before(o) + self._ex_prefix[i] for i, o in enumerate(self._ex_ords)
        ]
        self._ex_map: dict[int, int] = deltas

        # Memo tables (pure functions of the calendar, which never changes after construction; bounded, see
        # ``_MEMO_MAX``). The case clock asks the same questions over and over: the same acceptance dates, the
        # same dues, the same days.
        self._day_memo: dict[int, tuple[int, bool]] = {}  # ordinal -> (W(o) * seconds_per_day, is workday)
        self._kth_memo: dict[int, int] = {}  # k -> ordinal of the k-th working day
        self._at_memo: dict[
            tuple[int, int], datetime
        ] = {}  # (ordinal, second of day) -> aware local datetime
        self._add_memo: dict[int, datetime] = {}  # working position -> add_working_seconds landing there
        self._sub_memo: dict[int, datetime] = {}  # working position -> subtract_working_seconds landing there
        self._due_memo: dict[tuple[int, int, str], datetime] = {}  # (acceptance ordinal, days, unit) -> due
        self._start_memo: dict[int, datetime] = {}  # acceptance ordinal -> clock_start
        self._pos_memo: dict[datetime, int] = {}  # datetime in the own zone -> working position
        # Aware datetimes already in ``tz`` are local as they are (``astimezone`` to the own zone is a no-op);
        # only for zones whose ``utcoffset`` is never None, so that the naive check can be skipped.
        self._own_zone = tz if isinstance(tz, (ZoneInfo, timezone)) else None

    def __repr__(self) -> str:
        years = sorted(self.confirmed_years)
        span = f"{years[0]}–{years[-1]}" if years else "none"
        return (
            f"<WorkCalendar confirmed={span} holidays={len(self.holidays)} workdays={len(self.workdays)} "
            f"office_hours={self.office_hours}>"
        )

    # --- days ------------------------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        d = _as_date(d)
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def is_confirmed(self, d: date) -> bool:
        return _as_date(d).year in self.confirmed_years

    def confirmed_between(self, start: datetime | date, end: datetime | date) -> bool:
        """True iff every date from ``start`` to ``end`` (inclusive, local dates, either order) is confirmed."""
        a, b = self._local_date(start).year, self._local_date(end).year
        if b < a:
            a, b = b, a
        if a == b:
            return a in self.confirmed_years
        return all(y in self.confirmed_years for y in range(a, b + 1))

    def unconfirmed_years_between(self, start: datetime | date, end: datetime | date) -> list[int]:
        """Years touched by the range (inclusive, local dates) that are not confirmed."""
        a, b = self._local_date(start), self._local_date(end)
        if b < a:
            a, b = b, a
        return [y for y in range(a.year, b.year + 1) if y not in self.confirmed_years]

    def _workdays_before(self, o: int) -> int:
        """W(o): number of working days with ordinal < o."""
        return _weekdays_before(o) + self._ex_prefix[bisect.bisect_left(self._ex_ords, o)]

    def _day(self, o: int) -> tuple[int, bool]:
        """``(W(o) * seconds_per_day, whether o is a working day)``, memoised."""
        entry = self._day_memo.get(o)
        if entry is None:
            delta = self._ex_map.get(o, 0)
            # Same as is_workday(): a 调休 day (+1), or a weekday that is not an official day off (-1).
            workday = delta > 0 or (delta == 0 and _is_weekday_ordinal(o))
            entry = (self._workdays_before(o) * self.seconds_per_day, workday)
            if len(self._day_memo) >= _MEMO_MAX:
                self._day_memo.clear()
            self._day_memo[o] = entry
        return entry

    def _kth_workday(self, k: int) -> int:
        """Ordinal of the k-th (0-based) working day, i.e. the working day o with W(o) == k."""
        o = self._kth_memo.get(k)
        if o is None:
            # Exceptions e with W(e) <= k are exactly those with e <= answer.
            m = bisect.bisect_right(self._ex_w, k)
            if m and self._ex_delta[m - 1] > 0 and self._ex_w[m - 1] == k:
                o = self._ex_ords[m - 1]
            else:
                o = _kth_weekday(k - self._ex_prefix[m])
            if len(self._kth_memo) >= _MEMO_MAX:
                self._kth_memo.clear()
            self._kth_memo[k] = o
        return o

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days d with start <= d <= end (0 if end < start)."""
        a, b = _as_date(start), _as_date(end)
        if b < a:
            return 0
        return self._workdays_before(b.toordinal() + 1) - self._workdays_before(a.toordinal())

    def nth_workday_after(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (n >= 1); ``d`` itself for n == 0."""
        d = _as_date(d)
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return d
        k = self._workdays_before(d.toordinal() + 1) + n - 1
        return date.fromordinal(self._kth_workday(k))

    # --- instants --------------------------------------------------------------------------------------------

    def _local(self, dt: datetime) -> datetime:
        if dt.__class__ is datetime and dt.tzinfo is self._own_zone is not None:
            return dt  # what astimezone(tz) returns for a datetime already in tz
        if not isinstance(dt, datetime):
            raise TypeError(f"expected a datetime, got {type(dt).__name__}")
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("naive datetime: working-time arithmetic needs aware datetimes")
        return dt.astimezone(self.tz)

    def _local_date(self, value: datetime | date) -> date:
        if isinstance(value, datetime):
            return self._local(value).date()
        return value

    def _at(self, ordinal: int, tod: int) -> datetime:
        """Aware local datetime for a day ordinal and a second of day (memoised; datetimes are immutable)."""
        key = (ordinal, tod)
        at = self._at_memo.get(key)
        if at is None:
            naive = datetime.combine(date.fromordinal(ordinal), time()) + timedelta(seconds=tod)
            at = naive.replace(tzinfo=self.tz)
            if len(self._at_memo) >= _MEMO_MAX:
                self._at_memo.clear()
            self._at_memo[key] = at
        return at

    def _in_day(self, tod: int) -> int:
        """Office seconds elapsed on a working day at second-of-day ``tod``."""
        total = 0
        for start, end, cumulative in self._periods:
            if tod <= start:
                break
            total = cumulative + (min(tod, end) - start)
        return total

    def _position(self, dt: datetime) -> int:
        if dt.__class__ is datetime and dt.tzinfo is self._own_zone is not None:
            # Memoised for datetimes in the own zone only: equal keys then have equal wall-clock fields (the
            # position reads nothing else; fold is ignored by both), e.g. the same due asked about again.
            pos = self._pos_memo.get(dt)
            if pos is None:
                pos = self._wall_position(dt)
                if len(self._pos_memo) >= _MEMO_MAX:
                    self._pos_memo.clear()
                self._pos_memo[dt] = pos
            return pos
        return self._wall_position(self._local(dt))

    def _wall_position(self, local: datetime) -> int:
        """P(t) from the local wall-clock fields of ``t`` (whole seconds)."""
        base, workday = self._day(local.toordinal())
        if workday:
            tod = local.hour * 3600 + local.minute * 60 + local.second
            elapsed = 0
            for start, end, cumulative in self._periods:  # _in_day(tod), inline
                if tod <= start:
                    break
                elapsed = cumulative + ((tod if tod < end else end) - start)
            return base + elapsed
        return base

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Office-hours seconds on working days in [start, end); 0 if end <= start."""
        # Positions are non-decreasing in time, so end <= start gives 0.
        return max(0, self._position(end) - self._position(start))

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """Earliest instant t with ``working_seconds_between(start, t) == seconds``.

        Landing exactly on the end of a period returns that end (17:30 of the day, 12:00 at noon), not the
        start of the next period.  ``seconds == 0`` returns ``start`` unchanged; negative values delegate to
        :meth:`subtract_working_seconds`.  The result is in the calendar's time zone.
        """
        if seconds == 0:
            return start
        if seconds < 0:
            return self.subtract_working_seconds(start, -seconds)
        target = self._position(start) + seconds
        landing = self._add_memo.get(target)
        if landing is not None:
            return landing
        day_index, offset = divmod(target - 1, self.seconds_per_day)
        offset += 1  # 0 < offset <= seconds_per_day
        for start_s, end_s, cumulative in self._periods:
            if cumulative < offset <= cumulative + (end_s - start_s):
                landing = self._at(self._kth_workday(day_index), start_s + offset - cumulative)
                if len(self._add_memo) >= _MEMO_MAX:
                    self._add_memo.clear()
                self._add_memo[target] = landing
                return landing
        raise AssertionError("unreachable: offset outside office hours")  # pragma: no cover

    def subtract_working_seconds(self, end: datetime, seconds: int) -> datetime:
        """Latest (whole-second) instant t with ``working_seconds_between(t, end) == seconds``.

        Landing exactly on a period boundary returns the start of the following period (08:30 of the next
        working day rather than 17:30 of the previous one).  ``seconds == 0`` returns ``end`` unchanged;
        negative values delegate to :meth:`add_working_seconds`.  The result is in the calendar's time zone.
        """
        if seconds == 0:
            return end
        if seconds < 0:
            return self.add_working_seconds(end, -seconds)
        target = self._position(end) - seconds
        landing = self._sub_memo.get(target)
        if landing is not None:
            return landing
        day_index, offset = divmod(target, self.seconds_per_day)  # 0 <= offset < seconds_per_day
        for start_s, end_s, cumulative in self._periods:
            if cumulative <= offset < cumulative + (end_s - start_s):
                landing = self._at(self._kth_workday(day_index), start_s + offset - cumulative)
                if len(self._sub_memo) >= _MEMO_MAX:
                    self._sub_memo.clear()
                self._sub_memo[target] = landing
                return landing
        raise AssertionError("unreachable: offset outside office hours")  # pragma: no cover

    def open_of_day(self, d: date) -> datetime:
        """Start of the first office period of ``d``, in the calendar's time zone."""
        return self._at(_as_date(d).toordinal(), self._periods[0][0])

    def close_of_day(self, d: date) -> datetime:
        """End of the last office period of ``d``, in the calendar's time zone."""
        return self._at(_as_date(d).toordinal(), self._periods[-1][1])

    def clock_start(self, accepted_at: datetime) -> datetime:
        """Start of office hours on the first working day after the acceptance date (民法典 第201条)."""
        o = self._local(accepted_at).toordinal()
        start = self._start_memo.get(o)
        if start is None:
            start = self.open_of_day(self.nth_workday_after(date.fromordinal(o), 1))
            if len(self._start_memo) >= _MEMO_MAX:
                self._start_memo.clear()
            self._start_memo[o] = start
        return start

    def due_after(self, accepted_at: datetime, days: int, unit: str = UNIT_WORKDAY) -> datetime:
        """Due instant of a limit of ``days`` counted from ``accepted_at``.

        * ``unit="workday"``: close of office hours on the ``days``-th working day after the acceptance
          date (the acceptance day itself is not counted, 民法典 第201条).
        * ``unit="natural"``: close of office hours (not 23:59:59) of the ``days``-th calendar day after the
          acceptance date; if that day is not a working day, close of office hours of the next working day
          (民法典 第203条).  Closing at the end of office hours keeps natural-day limits comparable with the
          working-time case clock, which accrues only inside office hours.
        * ``days == 0`` (即办件), either unit: ``max(accepted_at, close_of_day(acceptance date))`` — the close
          of the acceptance day, or the acceptance instant itself when it was accepted after the close.

        The result is never before ``accepted_at`` and is expressed in the calendar's time zone.
        """
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r} (expected one of {', '.join(UNITS)})")
        if days < 0:
            raise ValueError("days must be >= 0")
        local = self._local(accepted_at)
        if days == 0:
            return max(local, self.close_of_day(local.date()))
        key = (local.toordinal(), days, unit)
        due = self._due_memo.get(key)
        if due is None:
            accepted_on = local.date()
            if unit == UNIT_WORKDAY:
                due = self.close_of_day(self.nth_workday_after(accepted_on, days))
            else:
                target = accepted_on + timedelta(days=days)
                if not self.is_workday(target):
                    target = self.nth_workday_after(target, 1)
                due = self.close_of_day(target)
            if len(self._due_memo) >= _MEMO_MAX:
                self._due_memo.clear()
            self._due_memo[key] = due
        return due

    def working_days(self, seconds: int) -> float:
        return seconds / self.seconds_per_day


def _as_date(value: date) -> date:
    if isinstance(value, datetime):
        raise TypeError("expected a date, got a datetime")
    return value


def official_schedule(years: Iterable[int] | None = None) -> tuple[set[date], set[date], set[int]]:
    """Official schedule from the ``chinesecalendar`` package.

    Returns ``(holidays, workdays, covered_years)`` restricted to ``years`` (all covered years when None):
    every official holiday date (weekday or weekend), every 调休 working day, and the requested years the
    package actually covers (years it does not know are simply absent; no exception).
    """
    import chinese_calendar

    all_holidays: Iterable[date] = chinese_calendar.holidays.keys()
    all_workdays: Iterable[date] = chinese_calendar.workdays.keys()
    known = {d.year for d in all_holidays} | {d.year for d in all_workdays}
    wanted = known if years is None else {int(y) for y in years}
    covered = wanted & known
    holidays = {d for d in all_holidays if d.year in covered}
    workdays = {d for d in all_workdays if d.year in covered}
    return holidays, workdays, covered
