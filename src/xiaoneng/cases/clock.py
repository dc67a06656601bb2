"""The case clock (办件计时): a pure function of a case's events, its item terms and the working calendar.

No Django, no ORM: ``compute_clock(events, terms, cal, now, policy)`` folds the events and returns a frozen
:class:`Clock` with the projections stored on the case (elapsed / suspended working time, extension, due dates,
state, ``next_check_at``) and every live time-rule threshold (:class:`Deadline`) of domain-rules §3.

Conventions (domain-rules §2 and the choices made where the rules are silent)
--------------------------------------------------------------------------
* Events are folded sorted by ``(occurred_at, seq)``; exact ties are broken by a lifecycle rank of the type and
  then by the canonical JSON of the payload, so the same multiset of events in any order gives the same Clock.
  Events of unknown types (e.g. ``forwarded``) and ``fee_charged`` do not affect the clock.
* All events are taken as given, including ones later than ``now``; ``now`` only bounds open intervals (an open
  suspension, an open correction, elapsed time), decides deemed acceptance / 超时默认 that no later event
  settles, and derives ``state`` / ``next_check_at``.
* **Due dates.** ``base = cal.due_after(accepted_at, limit, unit)`` (close of office hours of the N-th working —
  or natural — day after the acceptance date; limit 0 → close of the acceptance day), plus the extension as
  working time (``add_working_seconds(base, ext_days * spd)``; the ``extended`` payload is in working days,
  also for natural-day items). Then every *excluded interval* (capped special procedures, corrections during
  review; merged, in time order) that begins before the current due — clipped to start no earlier than the
  clock start — moves the due later by its working time:
  ``due = add_working_seconds(due, working_seconds_between(max(a, clock_start), b))``. For working-day items
  this is exactly "the instant the case's active working time reaches the limit"; an interval that begins after
  the due (the case was already late) does not move it. Adding an interval never makes a due earlier.
* **Special procedures** (``suspended`` … ``resumed``): excluded time is
  ``[suspended_at, min(resumed_at | case end | now, add_working_seconds(suspended_at, workdays * spd))]``; the
  overrun counts against the case. A ``suspended`` while another is open opens a second procedure; ``resumed``
  ends the most recently started open one (LIFO). Suspensions before acceptance or after the case closed are
  ignored by the clock (the irregularity is someone else's rule).
* **Correction during review** (``correction_requested`` after acceptance … ``correction_completed``) is fully
  excluded. Before acceptance it is the pre-acceptance 补正: the pre-acceptance round ends at the notice (an
  answer in time) and a new pre-acceptance round starts at ``correction_completed``; deemed acceptance in that
  round is dated at the completion (the day the complete materials were received). The first round starts at
  ``submitted``: a notice folded before it (clock skew) answers nothing and is ignored (without any
  ``submitted`` event the notice still starts a correction). At most one pre-acceptance round is open at a time;
  acceptance, a notice, a completion and closing the case end every open round.
* **Deemed acceptance**: a pre-acceptance round not answered (accepted / rejected / correction notice) by
  ``due_after(round_start, pre_acceptance_statutory_days)`` becomes accepted one second later (overdue by one
  second counts), with ``accepted_at = round_start`` (the day of receipt) and the normal clock start (first
  working day after that date). A later ``accepted`` event is then a no-op.
* **Extension**: the first ``extended`` with ``workdays >= 1`` while the case is open adds
  ``min(workdays, max_extension_days)`` to both dues; later ones are ignored by the clock. A missing approver is
  the ``improper_extension`` rule's business; the days still count.
* **Steps**: stages in configured order; steps sharing a non-empty ``parallel_group`` form one stage (placed at
  the first step of the group) and start together. Stage 0 starts at ``accepted_at``; a stage starts when every
  step of the previous stage is completed (at the latest completion). Step due =
  ``add_working_seconds(start, days * spd)`` moved by excluded intervals as for the case. ``outcome: return``
  from a step of the current stage restarts the previous stage (or the first stage itself) at that instant, and
  resets every later stage. A parallel step not completed when its due passes (``due + 1 s``) is completed *by
  default* (``by_default=True``, ``completed_at = due``, ``overdue=True``) and the next stage starts at the due.
  A ``pass`` for a step of a later stage is recorded as an early completion (``started_at``/``due`` stay None);
  a step that is not part of the terms is ignored.
* **Thresholds** (:class:`DeadlinePolicy`): each level is ``anchor`` + ``days`` working days. ``days < 0`` →
  the instant that many working days of *active* time before the anchor (live only if after the subject's start
  — a warning that would fall before the clock starts is not raised); ``days >= 0`` → one second after
  ``anchor + days`` working days (overdue by one second counts). Anchor ``start`` + n is day-counted:
  ``due_after(start, n) + 1 s``. A level applies at ``now >= at``.
* **Live deadlines**: a subject's thresholds are kept if it is open, or if ``at <=`` the instant it closed.
  While a special procedure or a correction in review is open, case and step thresholds later than the pause
  start are dropped (their dues are unknown until resume); special-procedure ones stay. Deadlines are deduplicated
  per ``(rule, level, step)`` keeping the earliest ``at`` (a card is raised once per subject/step/rule/level),
  e.g. a restarted step or a second special procedure does not repeat a level already passed.
* ``state``: ``done`` once decided / delivered / rejected / withdrawn / returned; ``suspended`` while a special
  procedure, a correction in review, or a pre-acceptance correction (waiting on the applicant) is open;
  otherwise the highest passed level of the phase's own rule (``case_limit`` once accepted, ``pre_acceptance``
  before), computed from the policy thresholds even if that rule is disabled.
* **Closed cases** (``closed_at`` set): every open interval / round ends at the close, no deadline has ``at``
  after ``closed_at`` and ``next_check_at`` is None.
* ``next_check_at``: the earliest deadline ``at`` strictly after ``now`` — and also the deemed-acceptance and
  超时默认 instants, which change the clock without an event (under the default policy they coincide with the
  ``pre_acceptance`` red and ``step_limit`` yellow thresholds; they matter only when those rules are disabled).
* ``elapsed_seconds`` / ``suspended_seconds``: working seconds from ``clock_start`` to ``min(now, decided or
  closed)``, active resp. excluded. ``elapsed_days`` / ``suspended_days`` are working days, or — for
  natural-day items, as the exchange API shows them — natural days: wall-clock time from 00:00 after the
  acceptance date (``elapsed_calendar_seconds`` / ``suspended_calendar_seconds``) / 86 400. ``closed_at`` is when no rule remains live: delivery, rejection,
  withdrawal or return (a decided but undelivered case has ``closed_at = None``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "CLOSED_STATUSES",
    "EVENT_TYPES",
    "LEVELS",
    "RULES",
    "Clock",
    "ClockEvent",
    "Deadline",
    "DeadlinePolicy",
    "RulePolicy",
    "SpecialProcedure",
    "StepClock",
    "StepTerm",
    "Terms",
    "Threshold",
    "compute_clock",
]

ONE_SECOND = timedelta(seconds=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")

EVENT_TYPES = (
    "submitted",
    "accepted",
    "rejected",
    "correction_requested",
    "correction_completed",
    "step_completed",
    "suspended",
    "resumed",
    "extended",
    "fee_charged",
    "decided",
    "delivered",
    "withdrawn",
    "returned",
)
# Tie-break for events at the same (occurred_at, seq): lifecycle order.
_TYPE_RANK = {t: i for i, t in enumerate(EVENT_TYPES)}

RULES = ("case_limit", "step_limit", "special_procedure", "pre_acceptance", "delivery")
LEVELS = ("warning", "yellow", "red")
_LEVEL_RANK = {"normal": 0, "warning": 1, "yellow": 2, "red": 3}

CLOSED_STATUSES = ("decided", "delivered", "rejected", "withdrawn", "returned")
_TERMINAL = ("delivered", "rejected", "withdrawn", "returned")


class Calendar(Protocol):  # the subset of xiaoneng.workcal.worktime.WorkCalendar used here
    seconds_per_day: int

    def confirmed_between(self, start: datetime | date, end: datetime | date) -> bool: ...
    def working_seconds_between(self, start: datetime, end: datetime) -> int: ...
    def add_working_seconds(self, start: datetime, seconds: int) -> datetime: ...
    def subtract_working_seconds(self, end: datetime, seconds: int) -> datetime: ...
    def clock_start(self, accepted_at: datetime) -> datetime: ...
    def due_after(self, accepted_at: datetime, days: int, unit: str = "workday") -> datetime: ...


# --- inputs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockEvent:
    type: str
    occurred_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def _sort_key(self) -> tuple:
        try:
            canonical = json.dumps(self.payload, sort_keys=True, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            canonical = repr(sorted(self.payload.items(), key=lambda kv: str(kv[0])))
        return (self.occurred_at, self.seq, _TYPE_RANK.get(self.type, len(_TYPE_RANK)), self.type, canonical)

    def _tie_key(self) -> tuple:
        """``_sort_key`` without the canonical payload, which only matters between exact ties of this key."""
        return (self.occurred_at, self.seq, _TYPE_RANK.get(self.type, len(_TYPE_RANK)), self.type)


def _ordered(events: Iterable[ClockEvent]) -> list[ClockEvent]:
    """``sorted(events, key=ClockEvent._sort_key)``, paying for the canonical JSON of the payloads only when two
    events tie on ``(occurred_at, seq, type)`` (otherwise the two keys order every pair the same way), and not
    sorting at all events that are already in strictly ascending order (see _strictly_ascending)."""
    events = list(events)
    if _strictly_ascending(events):
        return events  # what any stable sort returns; the engine passes its events sorted
    ordered = sorted(events, key=ClockEvent._tie_key)
    if len(ordered) > 1:
        try:
            ties = len({(e.occurred_at, e.seq, e.type) for e in ordered}) < len(ordered)
        except TypeError:  # unhashable seq / type: leave it to the full key
            ties = True
        if ties:
            ordered = sorted(events, key=ClockEvent._sort_key)
    return ordered


def _strictly_ascending(events: list[ClockEvent]) -> bool:
    """True if every event is strictly after the previous one in ``(occurred_at, seq)``, all ``occurred_at`` in
    one tzinfo (so that they compare as wall-clock times, a total order) and every ``seq`` an int: no two keys tie
    and the list is its own sorted order."""
    if not events:
        return True
    first = events[0]
    tz = first.occurred_at.tzinfo
    prev_at, prev_seq = first.occurred_at, first.seq
    if type(prev_at) is not datetime or type(prev_seq) is not int:
        return False
    for e in events[1:]:
        at, seq = e.occurred_at, e.seq
        if type(at) is not datetime or at.tzinfo is not tz or type(seq) is not int:
            return False
        if not (prev_at < at or (prev_at == at and prev_seq < seq)):
            return False
        prev_at, prev_seq = at, seq
    return True


@dataclass(frozen=True)
class StepTerm:
    code: str
    name: str
    days: int
    parallel_group: str = ""


@dataclass(frozen=True)
class Terms:
    unit: str = "workday"  # "workday" | "natural_day"
    statutory_days: int = 20
    promised_days: int = 10
    handling_type: str = "promised"  # "instant" | "promised" | "report" | "joint"
    steps: tuple[StepTerm, ...] = ()
    max_extension_days: int = 10
    pre_acceptance_promised_days: int = 2
    pre_acceptance_statutory_days: int = 5
    delivery_promised_days: int = 3
    delivery_statutory_days: int = 10


@dataclass(frozen=True)
class Threshold:
    """One level of a time rule: ``days`` working days relative to ``anchor``.

    ``anchor``: ``"start"`` (receipt / acceptance / suspension / decision / step start), ``"promised"``
    (the promised due; for steps and special procedures their single due), ``"statutory"`` (the statutory
    due; same), or ``"due"`` (alias of ``"promised"``). ``days < 0``: before the anchor; ``days >= 0``: passed.
    """

    anchor: str = "promised"
    days: float = 0


@dataclass(frozen=True)
class RulePolicy:
    enabled: bool = True
    warning: Threshold | None = None
    yellow: Threshold | None = None
    red: Threshold | None = None

    def level(self, level: str) -> Threshold | None:
        return getattr(self, level)


def _rp(warning=None, yellow=None, red=None) -> RulePolicy:
    def t(spec):
        return None if spec is None else Threshold(*spec)

    return RulePolicy(True, t(warning), t(yellow), t(red))


@dataclass(frozen=True)
class DeadlinePolicy:
    """The time-rule thresholds of domain-rules §3, as data (defaults: the table)."""

    case_limit: RulePolicy = _rp(warning=("promised", -2), yellow=("promised", 0), red=("statutory", 0))
    step_limit: RulePolicy = _rp(warning=("due", -1), yellow=("due", 0))
    special_procedure: RulePolicy = _rp(warning=("due", -2), yellow=("due", 0), red=("due", 1))
    pre_acceptance: RulePolicy = _rp(warning=("promised", 0), yellow=("start", 3), red=("statutory", 0))
    delivery: RulePolicy = _rp(yellow=("promised", 0), red=("statutory", 0))

    def rule(self, code: str) -> RulePolicy:
        if code not in RULES:
            raise KeyError(code)
        return getattr(self, code)

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], base: DeadlinePolicy | None = None
    ) -> DeadlinePolicy:
        """Build from flat rows (e.g. editable DB rows), overriding ``base`` (default: the table).

        Each row: ``{"rule": "case_limit", "enabled": bool}`` and/or
        ``{"rule": ..., "level": "warning", "anchor": "promised", "days": -2}``; ``"anchor": None`` (or
        ``"days": None``) removes that level. Unknown rule codes (non-time rules) are ignored.
        """
        policy = base or cls()
        changes: dict[str, RulePolicy] = {}
        for row in rows:
            code = row.get("rule")
            if code not in RULES:
                continue
            rp = changes.get(code, policy.rule(code))
            updates: dict[str, Any] = {}
            if "enabled" in row and row["enabled"] is not None:
                updates["enabled"] = bool(row["enabled"])
            level = row.get("level")
            if level in LEVELS:
                if row.get("anchor") is None or row.get("days") is None:
                    updates[level] = None
                else:
                    updates[level] = Threshold(str(row["anchor"]), float(row["days"]))
            changes[code] = RulePolicy(**{**{f.name: getattr(rp, f.name) for f in fields(rp)}, **updates})
        return cls(**{code: changes.get(code, policy.rule(code)) for code in RULES})


# --- outputs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    rule: str
    level: str
    step: str | None
    at: datetime


@dataclass(frozen=True)
class StepClock:
    code: str
    started_at: datetime | None
    due: datetime | None
    completed_at: datetime | None
    overdue: bool
    by_default: bool


@dataclass(frozen=True)
class SpecialProcedure:
    reason: str
    requested_days: int
    started_at: datetime
    ended_at: datetime | None
    end_due: datetime
    excluded_seconds: int  # working time excluded from the case clock (≤ requested days)
    overrun: bool  # ran (or is running) past end_due


@dataclass(frozen=True)
class Clock:
    status: str
    result: str | None
    unit: str
    seconds_per_day: int
    submitted_at: datetime | None
    accepted_at: datetime | None
    deemed_accepted: bool
    clock_start: datetime | None
    decided_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    elapsed_seconds: int  # working seconds (office hours on working days), excluded time not counted
    suspended_seconds: int  # excluded working seconds
    elapsed_calendar_seconds: int  # wall-clock seconds since 00:00 after the acceptance date, minus excluded
    suspended_calendar_seconds: int  # wall-clock length of the excluded intervals
    extended_days: int
    promised_due: datetime | None
    statutory_due: datetime | None
    pre_acceptance_due: datetime | None
    pre_acceptance_statutory_due: datetime | None
    delivery_due: datetime | None
    delivery_statutory_due: datetime | None
    steps: tuple[StepClock, ...]
    special: SpecialProcedure | None
    specials: tuple[SpecialProcedure, ...]
    paused_since: datetime | None
    calendar_confirmed: bool
    state: str
    deadlines: tuple[Deadline, ...]
    next_check_at: datetime | None

    @property
    def elapsed_days(self) -> float:
        """Working days, or natural days for natural-day items (exchange API), to one decimal."""
        if self.unit == "natural_day":
            return round(self.elapsed_calendar_seconds / 86400, 1)
        return round(self.elapsed_seconds / self.seconds_per_day, 1)

    @property
    def suspended_days(self) -> float:
        if self.unit == "natural_day":
            return round(self.suspended_calendar_seconds / 86400, 1)
        return round(self.suspended_seconds / self.seconds_per_day, 1)

    def as_dict(self, *, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO 8601), without the fields named in ``omit`` (e.g. ``Case.clock`` leaves
        out what the case keeps in columns of its own). Same content as ``dataclasses.asdict`` converted, built
        by walking cached field names: ``asdict`` deep-copies and dominated the write path's CPU time."""
        kind = type(self)
        names = _KEPT_NAMES.get((kind, omit))
        if names is None:  # the fields left after ``omit`` (not serialised just to be dropped), per class and omit
            names = _KEPT_NAMES[kind, omit] = tuple(f.name for f in fields(kind) if f.name not in omit)
        values = self.__dict__  # every field (built by compute_clock or by __init__)
        data = {}
        for name in names:
            v = values[name]
            t = type(v)
            data[name] = v if t in _PLAIN else _iso(v) if t is datetime else _jsonable(v)
        data["elapsed_days"] = self.elapsed_days
        data["suspended_days"] = self.suspended_days
        return data


# Clock fields the case engine keeps in columns of their own (Case; the steps as CaseStep rows) and so leaves out of
# the stored clock document (``Case.clock``): repeated there, they took it over PostgreSQL's TOAST threshold.
STORED_IN_COLUMNS = frozenset({
    "status", "result", "submitted_at", "accepted_at", "decided_at", "delivered_at", "closed_at",
    "elapsed_seconds", "suspended_seconds", "extended_days", "promised_due", "statutory_due", "state",
    "calendar_confirmed", "next_check_at", "deadlines", "steps",
})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_KEPT_NAMES: dict[tuple[type, frozenset[str]], tuple[str, ...]] = {}
_PLAIN = frozenset({str, int, float, bool, type(None)})

# isoformat() of the datetimes serialised lately, by value: the calendar hands out the same dues again and again,
# and a clock repeats its own instants (an acceptance is also the first step's start, a completion the next
# step's start). Equal aware datetimes with the same tzinfo have the same wall-clock fields, so the text is the
# same unless ``fold`` differs; an entry is used only for the same tzinfo object and fold, and only for zones whose
# offsets are a pure function of the wall time and fold (ZoneInfo, timezone).
_ISO_MEMO: dict[datetime, tuple[Any, int, str]] = {}
_ISO_MEMO_MAX = 4096
_STABLE_TZ = frozenset({ZoneInfo, timezone})


def _iso(value: datetime) -> str:
    tz = value.tzinfo
    if type(tz) not in _STABLE_TZ:
        return value.isoformat()
    entry = _ISO_MEMO.get(value)
    if entry is not None and entry[0] is tz and entry[1] == value.fold:
        return entry[2]
    text = value.isoformat()
    if len(_ISO_MEMO) >= _ISO_MEMO_MAX:
        _ISO_MEMO.clear()
    _ISO_MEMO[value] = (tz, value.fold, text)
    return text


def _jsonable(value: Any) -> Any:
    """Dataclasses → dicts, tuples → lists, datetimes → ISO 8601; leaves inline (this runs per recorded case)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is datetime:
        return _iso(value)
    if kind is list or kind is tuple:
        return [_jsonable(v) for v in value]
    if kind is dict:
        return {k: _jsonable(v) for k, v in value.items()}
    if kind in _OWN_OUTPUTS:
        # Built by compute_clock (or their own __init__): the instance dict holds exactly the fields, in order.
        out = value.__dict__.copy()
        for name, v in out.items():
            t = type(v)
            if t not in _PLAIN:
                out[name] = _iso(v) if t is datetime else _jsonable(v)
        return out
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not hasattr(kind, "__dataclass_fields__"):
            # e.g. a TextChoices member (a str subclass) passed in as a status: JSON takes it as it is.
            return value.isoformat() if isinstance(value, datetime) else value
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    out = {}
    for name in names:
        v = getattr(value, name)
        t = type(v)
        out[name] = v if t in _PLAIN else _iso(v) if t is datetime else _jsonable(v)
    return out


_OWN_OUTPUTS = frozenset({StepClock, SpecialProcedure, Deadline})
_set_attr = object.__setattr__


def _build(cls: type, values: dict[str, Any]) -> Any:
    """``cls(**values)`` for the frozen output dataclasses here (no ``__post_init__``; ``values`` is a fresh dict
    of every field in declaration order, which becomes the instance dict), without the generated ``__init__``'s
    keyword passing and per-field ``object.__setattr__`` (3× the cost of the whole object)."""
    obj = object.__new__(cls)
    _set_attr(obj, "__dict__", values)
    return obj


def clock_event(type_: str, occurred_at: datetime, payload: Mapping[str, Any], seq: int) -> ClockEvent:
    """``ClockEvent(type_, occurred_at, payload, seq)`` at a quarter of the cost (the case engine builds one per
    stored event of every case it derives)."""
    return _build(ClockEvent, {"type": type_, "occurred_at": occurred_at, "payload": payload, "seq": seq})


# --- interval helpers -----------------------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[list[datetime]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _shift(cal: Calendar, due: datetime, intervals: list[Interval], floor: datetime) -> datetime:
    """Move ``due`` later by the working time of every interval (clipped to >= floor) that begins before it."""
    for a, b in intervals:
        a2 = max(a, floor)
        if b <= a2:
            continue
        if a2 >= due:
            break
        due = cal.add_working_seconds(due, cal.working_seconds_between(a2, b))
    return due


def _advance(cal: Calendar, start: datetime, seconds: int, intervals: list[Interval]) -> datetime:
    """Earliest t with ``seconds`` of active (non-excluded) working time in [start, t]."""
    return _shift(cal, cal.add_working_seconds(start, seconds), intervals, start)


def _retreat(cal: Calendar, end: datetime, seconds: int, intervals: list[Interval]) -> datetime:
    """Latest t with ``seconds`` of active working time in [t, end]."""
    cursor, remaining = end, seconds
    for a, b in reversed(intervals):
        if a >= cursor:
            continue
        b2 = min(b, cursor)
        candidate = cal.subtract_working_seconds(cursor, remaining)
        if candidate >= b2:
            return candidate
        remaining -= cal.working_seconds_between(b2, cursor)
        cursor = a
    return cal.subtract_working_seconds(cursor, remaining)


def _excluded(cal: Calendar, intervals: list[Interval], start: datetime, end: datetime) -> int:
    total = 0
    for a, b in intervals:
        a2, b2 = max(a, start), min(b, end)
        if b2 > a2:
            total += cal.working_seconds_between(a2, b2)
    return total


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- thresholds -----------------------------------------------------------------------------------------------


class _Subject:
    """One time-rule subject (the case, a step round, a special procedure, a pre-acceptance round, delivery)."""

    __slots__ = (
        "rule",
        "step",
        "start",
        "promised",
        "statutory",
        "intervals",
        "closed_at",
        "pausable",
        "floor",
        "thresholds",
    )

    def __init__(
        self,
        rule: str,
        step: str | None,
        start: datetime,
        promised: datetime,
        statutory: datetime,
        intervals: list[Interval],
        closed_at: datetime | None,  # None while open
        pausable: bool = False,  # case / step: not live past the pause start while paused
        floor: datetime | None = None,  # a "before" level is live only after this instant (default: start)
    ) -> None:
        self.rule = rule
        self.step = step
        self.start = start
        self.promised = promised
        self.statutory = statutory
        self.intervals = intervals
        self.closed_at = closed_at
        self.pausable = pausable
        self.floor = floor
        self.thresholds: dict[str, datetime] | None = None  # {level: at}, once computed


# A level of a rule, resolved once per RulePolicy (see _levels): (level, anchor, days, seconds, before) with
# anchor one of these; "start": ``days`` is ``int(Threshold.days)``; otherwise ``seconds`` is the working time
# ``round(abs(days) * seconds_per_day)`` and ``before`` is ``days < 0``.
_START, _PROMISED, _STATUTORY = "start", "promised", "statutory"
_Level = tuple[str, str, Any, int, bool]
# id(rule policy) -> (the policy, seconds per day, its levels)
_LEVELS_MEMO: dict[int, tuple[RulePolicy, int, tuple[_Level, ...]]] = {}
_LEVELS_MEMO_MAX = 256


def _levels(rp: RulePolicy, spd: int) -> tuple[_Level, ...]:
    """The levels of ``rp`` that can yield a threshold, in LEVELS order (memoised by identity: policies are
    frozen and the engine keeps handing in the same ones)."""
    entry = _LEVELS_MEMO.get(id(rp))
    if entry is not None and entry[0] is rp and entry[1] == spd:
        return entry[2]
    out: list[_Level] = []
    for level in LEVELS:
        t = rp.level(level)
        if t is None:
            continue
        if t.anchor == "start":
            if t.days < 0:
                continue  # a warning before the receipt is never raised
            out.append((level, _START, int(t.days), 0, False))
            continue
        if t.anchor in ("promised", "due"):
            anchor = _PROMISED
        elif t.anchor == "statutory":
            anchor = _STATUTORY
        else:
            continue
        out.append((level, anchor, t.days, round(abs(t.days) * spd), t.days < 0))
    levels = tuple(out)
    if type(rp) is RulePolicy:  # a subclass might compute its levels
        if len(_LEVELS_MEMO) >= _LEVELS_MEMO_MAX:
            _LEVELS_MEMO.clear()
        _LEVELS_MEMO[id(rp)] = (rp, spd, levels)
    return levels


def _thresholds(cal: Calendar, subject: _Subject, levels: tuple[_Level, ...]) -> dict[str, datetime]:
    """``{level: at}`` of one subject (a level whose "before" instant falls before the subject's floor is left
    out)."""
    out = {}
    for level, anchor, days, seconds, before in levels:
        if anchor is _START:
            out[level] = cal.due_after(subject.start, days) + ONE_SECOND
            continue
        base = subject.promised if anchor is _PROMISED else subject.statutory
        intervals = subject.intervals
        if before:
            if intervals:
                at = _retreat(cal, base, seconds, intervals)
            else:
                at = cal.subtract_working_seconds(base, seconds)
            if at > (subject.floor or subject.start):
                out[level] = at
        elif seconds:
            if intervals:
                out[level] = _advance(cal, base, seconds, intervals) + ONE_SECOND
            else:
                out[level] = cal.add_working_seconds(base, seconds) + ONE_SECOND
        else:
            out[level] = base + ONE_SECOND
    return out


# --- steps ----------------------------------------------------------------------------------------------------


class _StepState:
    __slots__ = ("term", "started_at", "due", "completed_at", "by_default", "rounds")

    def __init__(self, term: StepTerm) -> None:
        self.term = term
        self.started_at: datetime | None = None
        self.due: datetime | None = None
        self.completed_at: datetime | None = None
        self.by_default = False
        self.rounds: list[tuple[datetime, datetime, datetime | None]] = []  # (start, due, end)

    def start(self, at: datetime, due: datetime) -> None:
        self.started_at, self.due, self.completed_at, self.by_default = at, due, None, False

    def end_round(self, end: datetime) -> None:
        if self.started_at is not None and self.due is not None:
            self.rounds.append((self.started_at, self.due, end))

    def reset(self) -> None:
        self.started_at = self.due = self.completed_at = None
        self.by_default = False


def _stages(terms: Terms) -> list[list[int]]:
    stages: list[list[int]] = []
    group_stage: dict[str, int] = {}
    for i, term in enumerate(terms.steps):
        if term.parallel_group:
            if term.parallel_group in group_stage:
                stages[group_stage[term.parallel_group]].append(i)
                continue
            group_stage[term.parallel_group] = len(stages)
        stages.append([i])
    return stages


# id(terms.steps) -> (the tuple, its _layout); the engine keeps one Terms per item version.
_LAYOUT_MEMO: dict[int, tuple[tuple[StepTerm, ...], tuple[dict, list, dict, list]]] = {}
_LAYOUT_MEMO_MAX = 1024


def _layout(terms: Terms) -> tuple[dict[str, int], list[list[int]], dict[int, int], list[bool]]:
    """``(first index of each step code, stages, stage of each step index, whether a stage has a parallel step)``;
    read-only for the machine."""
    steps = terms.steps
    entry = _LAYOUT_MEMO.get(id(steps))
    if entry is not None and entry[0] is steps:
        return entry[1]
    by_code: dict[str, int] = {}
    for i, t in enumerate(steps):
        by_code.setdefault(t.code, i)
    stages = _stages(terms)
    stage_of = {i: k for k, stage in enumerate(stages) for i in stage}
    parallel = [any(steps[i].parallel_group for i in stage) for stage in stages]
    layout = (by_code, stages, stage_of, parallel)
    if type(steps) is tuple:  # immutable (StepTerm is frozen), so the layout cannot go stale
        if len(_LAYOUT_MEMO) >= _LAYOUT_MEMO_MAX:
            _LAYOUT_MEMO.clear()
        _LAYOUT_MEMO[id(steps)] = (steps, layout)
    return layout


class _StepMachine:
    def __init__(self, cal: Calendar, terms: Terms, intervals: list[Interval]):
        self.cal, self.intervals = cal, intervals
        self.steps = [_StepState(t) for t in terms.steps]
        self.by_code, self.stages, self.stage_of, self.parallel = _layout(terms)
        self.current: int | None = None  # index of the running stage; len(stages) when all done
        self.stage_started: datetime | None = None
        self.closed = False

    def _due(self, start: datetime, days: int) -> datetime:
        seconds = max(days, 0) * self.cal.seconds_per_day
        if not self.intervals:
            return self.cal.add_working_seconds(start, seconds)  # _advance without intervals to shift by
        return _advance(self.cal, start, seconds, self.intervals)

    def start_stage(self, k: int, at: datetime) -> None:
        while k < len(self.stages):
            self.current, self.stage_started = k, at
            for i in self.stages[k]:
                s = self.steps[i]
                if s.completed_at is None:
                    s.start(at, self._due(at, s.term.days))
            if not self._stage_done(k):
                return
            at = max(at, *(self.steps[i].completed_at for i in self.stages[k]))
            k += 1
        self.current = len(self.stages)

    def _stage_done(self, k: int) -> bool:
        return all(self.steps[i].completed_at is not None for i in self.stages[k])

    def _after_completion(self, at: datetime) -> None:
        k = self.current
        if k is not None and k < len(self.stages) and self._stage_done(k):
            latest = max(self.steps[i].completed_at for i in self.stages[k])
            self.start_stage(k + 1, max(latest, self.stage_started or latest))

    def run_defaults(self, until: datetime) -> None:
        """Complete by default every running parallel step whose due passed at or before ``until``."""
        while self.current is not None and self.current < len(self.stages):
            if not self.parallel[self.current]:
                return  # only parallel steps are completed by default
            pending = [
                self.steps[i]
                for i in self.stages[self.current]
                if self.steps[i].term.parallel_group
                and self.steps[i].completed_at is None
                and self.steps[i].due is not None
                and self.steps[i].due + ONE_SECOND <= until
            ]
            if not pending:
                return
            s = min(pending, key=lambda st: st.due)
            s.completed_at, s.by_default = s.due, True
            s.end_round(s.due + ONE_SECOND)
            self._after_completion(s.due)

    def apply(self, at: datetime, code: str, outcome: str) -> None:
        i = self.by_code.get(code)
        if i is None or self.current is None:
            return
        k = self.stage_of[i]
        s = self.steps[i]
        if outcome == "return":
            if k != self.current:
                return
            for j in self.stages[k]:
                if self.steps[j].completed_at is None:
                    self.steps[j].end_round(at)
            target = max(k - 1, 0)
            for stage in self.stages[target:]:
                for j in stage:
                    self.steps[j].reset()
            self.start_stage(target, at)
            return
        if s.completed_at is not None:
            return
        if k < self.current:
            return
        s.completed_at = at
        if k == self.current:
            s.end_round(at)
            self._after_completion(at)

    def close(self, at: datetime) -> None:
        """The case closed: running steps stop being supervised at ``at``."""
        if self.current is None or self.closed:
            return
        self.closed = True
        for k in range(self.current, len(self.stages)):
            for i in self.stages[k]:
                s = self.steps[i]
                if s.started_at is not None and s.completed_at is None:
                    s.end_round(at)

    def running_rounds(self) -> list[tuple[_StepState, datetime, datetime]]:
        if self.closed:
            return []
        return [
            (s, s.started_at, s.due)
            for s in self.steps
            if s.started_at is not None and s.due is not None and s.completed_at is None
        ]


# --- the fold -------------------------------------------------------------------------------------------------


@dataclass
class _Special:
    reason: str
    days: int
    start: datetime
    end: datetime | None = None


class _Fold:
    __slots__ = (
        "status",
        "result",
        "submitted_at",
        "accepted_at",
        "deemed",
        "decided_at",
        "delivered_at",
        "closed_at",
        "case_end",
        "pre_rounds",
        "specials",
        "corrections",
        "extended_days",
        "extended",
        "step_events",
    )

    def __init__(self) -> None:
        self.status = "submitted"
        self.result: str | None = None
        self.submitted_at: datetime | None = None
        self.accepted_at: datetime | None = None
        self.deemed = False
        self.decided_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.closed_at: datetime | None = None  # rejected / withdrawn / returned / delivered
        self.case_end: datetime | None = None  # decided, or closed before a decision
        self.pre_rounds: list[list] = []  # [start, end|None]
        self.specials: list[_Special] = []
        self.corrections: list[list] = []  # [start, end|None] during review
        self.extended_days = 0
        self.extended = False
        self.step_events: list[tuple[datetime, str, str]] = []

    @property
    def pre_open(self) -> bool:
        return self.status == "submitted" and bool(self.pre_rounds) and self.pre_rounds[-1][1] is None


def _fold(events: Iterable[ClockEvent], terms: Terms, cal: Calendar, now: datetime) -> _Fold:
    f = _Fold()
    ordered = _ordered(events)
    if not ordered:
        raise ValueError("compute_clock needs at least one event")
    submitted = [e.occurred_at for e in ordered if e.type == "submitted"]
    f.submitted_at = submitted[0] if submitted else ordered[0].occurred_at
    has_submission = bool(submitted)

    deemed: list = [None, None]  # (round start, its deemed-acceptance instant), the last one computed

    def deemed_at(start: datetime) -> datetime:
        if deemed[0] is not start:
            deemed[0], deemed[1] = (
                start,
                cal.due_after(start, terms.pre_acceptance_statutory_days) + ONE_SECOND,
            )
        return deemed[1]

    def check_deemed(t: datetime) -> None:
        if f.status == "submitted" and f.pre_rounds and f.pre_rounds[-1][1] is None:  # f.pre_open
            start = f.pre_rounds[-1][0]
            limit = deemed_at(start)
            if limit <= t:
                f.pre_rounds[-1][1] = limit
                f.accepted_at, f.deemed, f.status = start, True, "accepted"

    def end_pre_rounds(t: datetime) -> None:
        for r in f.pre_rounds:
            if r[1] is None:
                r[1] = max(r[0], t)

    def close(t: datetime, status: str) -> None:
        end_pre_rounds(t)
        f.status = status
        if f.case_end is None:
            f.case_end = t
        for sp in f.specials:
            if sp.end is None:
                sp.end = t
        for c in f.corrections:
            if c[1] is None:
                c[1] = t

    def open_specials() -> list[_Special]:
        return [sp for sp in f.specials if sp.end is None]

    def open_correction() -> list | None:
        return f.corrections[-1] if f.corrections and f.corrections[-1][1] is None else None

    for e in ordered:
        check_deemed(e.occurred_at)
        t, p = e.occurred_at, e.payload or {}
        if f.status in _TERMINAL:
            continue
        if f.status == "decided":
            if e.type == "delivered":
                f.status, f.delivered_at, f.closed_at = "delivered", t, t
            continue
        if e.type == "submitted":
            if not f.pre_rounds and f.accepted_at is None:
                f.pre_rounds.append([t, None])
                f.status = "submitted"
        elif e.type == "accepted":
            if f.accepted_at is None:
                end_pre_rounds(t)
                f.accepted_at, f.status = t, "accepted"
        elif e.type in ("rejected", "withdrawn", "returned"):
            close(t, e.type)
            f.closed_at = t
        elif e.type == "correction_requested":
            if f.accepted_at is None:
                # A notice folded before the submission (clock skew) answers nothing: the round starts at
                # ``submitted``. Without any ``submitted`` event the notice still starts the correction.
                if has_submission and not f.pre_rounds:
                    continue
                end_pre_rounds(t)
                f.status = "correction"
            elif open_correction() is None:
                f.corrections.append([t, None])
        elif e.type == "correction_completed":
            if f.accepted_at is None:
                if f.status == "correction":
                    end_pre_rounds(t)
                    f.status = "submitted"
                    f.pre_rounds.append([t, None])
            elif (c := open_correction()) is not None:
                c[1] = t
        elif e.type == "suspended":
            if f.accepted_at is not None:
                f.specials.append(_Special(str(p.get("reason") or ""), max(_int(p.get("workdays")), 0), t))
                f.status = "suspended"
        elif e.type == "resumed":
            if opened := open_specials():
                opened[-1].end = t
                if not open_specials():
                    f.status = "accepted"
        elif e.type == "extended":
            days = _int(p.get("workdays"))
            if days >= 1 and not f.extended and f.accepted_at is not None:
                f.extended = True
                f.extended_days = min(days, max(terms.max_extension_days, 0))
        elif e.type == "step_completed":
            if f.accepted_at is not None:
                f.step_events.append((t, str(p.get("step") or ""), str(p.get("outcome") or "pass")))
        elif e.type == "decided":
            f.result = p.get("result")
            f.decided_at = t
            close(t, "decided")
        # fee_charged, delivered before a decision, unknown types: no effect on the clock
    check_deemed(now)
    return f


# --- main -----------------------------------------------------------------------------------------------------

_DEFAULT_POLICY = DeadlinePolicy()
_RULE_RANK = {r: i for i, r in enumerate(RULES)}
_LEVEL_NAMES = tuple(sorted(_LEVEL_RANK, key=_LEVEL_RANK.__getitem__))  # rank -> level
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time()


def compute_clock(
    events: Iterable[ClockEvent],
    terms: Terms,
    cal: Calendar,
    now: datetime,
    policy: DeadlinePolicy | None = None,
) -> Clock:
    """Fold ``events`` into the case clock at ``now`` (see the module docstring for the exact rules)."""
    policy = policy or _DEFAULT_POLICY
    spd = cal.seconds_per_day
    f = _fold(events, terms, cal, now)
    unit = "natural" if terms.unit in ("natural_day", "natural") else "workday"

    # Excluded intervals (open ones run to the case end or now).
    horizon = f.case_end or now
    specials: list[SpecialProcedure] = []
    raw: list[Interval] = []
    for sp in f.specials:
        end_due = cal.add_working_seconds(sp.start, sp.days * spd)
        natural_end = sp.end if sp.end is not None else max(horizon, sp.start)
        excl_end = max(sp.start, min(natural_end, end_due))
        raw.append((sp.start, excl_end))
        specials.append(
            SpecialProcedure(
                reason=sp.reason,
                requested_days=sp.days,
                started_at=sp.start,
                ended_at=sp.end,
                end_due=end_due,
                excluded_seconds=cal.working_seconds_between(sp.start, excl_end),
                overrun=natural_end > end_due,
            )
        )
    for start, end in f.corrections:
        raw.append((start, max(start, end if end is not None else horizon)))
    intervals = _merge(raw) if raw else []

    paused_since: datetime | None = None
    if f.case_end is None:
        open_starts = [sp.start for sp in f.specials if sp.end is None]
        open_starts += [c[0] for c in f.corrections if c[1] is None]
        if open_starts:
            paused_since = min(open_starts)

    subjects: list[_Subject] = []

    # Case limits.
    clock_start = promised_due = statutory_due = None
    elapsed = suspended = cal_elapsed = cal_suspended = 0
    if f.accepted_at is not None:
        accepted_at = f.accepted_at
        clock_start = cal.clock_start(accepted_at)

        def case_due(days: int) -> datetime:
            base = cal.due_after(accepted_at, max(days, 0), unit)
            if f.extended_days:
                base = cal.add_working_seconds(base, f.extended_days * spd)
            floor = clock_start if days + f.extended_days > 0 else accepted_at
            return _shift(cal, base, intervals, floor)

        promised_due = case_due(terms.promised_days)
        statutory_due = case_due(terms.statutory_days)
        end = min(now, f.case_end) if f.case_end is not None else now
        if end > clock_start:
            suspended = _excluded(cal, intervals, clock_start, end)
            elapsed = max(cal.working_seconds_between(clock_start, end) - suspended, 0)
        tz = getattr(cal, "tz", None) or SHANGHAI
        day_start = datetime.combine(accepted_at.astimezone(tz).date() + _ONE_DAY, _MIDNIGHT, tzinfo=tz)
        if end > day_start:
            cal_suspended = sum(
                int((min(b, end) - max(a, day_start)).total_seconds())
                for a, b in intervals
                if min(b, end) > max(a, day_start)
            )
            cal_elapsed = max(int((end - day_start).total_seconds()) - cal_suspended, 0)
        subjects.append(
            _Subject(
                "case_limit",
                None,
                accepted_at,
                promised_due,
                statutory_due,
                intervals,
                f.case_end,
                pausable=True,
                floor=clock_start if promised_due >= clock_start else accepted_at,
            )
        )

    # Steps.
    machine = _StepMachine(cal, terms, intervals)
    step_horizon = min(now, f.case_end) if f.case_end is not None else now
    if f.accepted_at is not None and terms.steps:
        machine.start_stage(0, f.accepted_at)
        for t, code, outcome in f.step_events:
            if f.case_end is not None and t > f.case_end:
                break
            machine.run_defaults(t)
            machine.apply(t, code, outcome)
        machine.run_defaults(step_horizon)
        if f.case_end is not None:
            machine.close(f.case_end)
    step_clocks = []
    for s in machine.steps:
        end_time = s.completed_at or step_horizon
        overdue = s.by_default or (s.due is not None and s.started_at is not None and end_time > s.due)
        step_clocks.append(
            _build(
                StepClock,
                {
                    "code": s.term.code,
                    "started_at": s.started_at,
                    "due": s.due,
                    "completed_at": s.completed_at,
                    "overdue": overdue,
                    "by_default": s.by_default,
                },
            )
        )
        for start, due, closed in s.rounds:
            subjects.append(
                _Subject("step_limit", s.term.code, start, due, due, intervals, closed, pausable=True)
            )
    for s, start, due in machine.running_rounds():
        subjects.append(_Subject("step_limit", s.term.code, start, due, due, intervals, None, pausable=True))

    # Special procedures (their own clock has no exclusions).
    for sp in specials:
        subjects.append(
            _Subject("special_procedure", None, sp.started_at, sp.end_due, sp.end_due, [], sp.ended_at)
        )

    # Pre-acceptance rounds.
    pre_due = pre_stat_due = None
    for start, end in f.pre_rounds:
        pre_due = cal.due_after(start, terms.pre_acceptance_promised_days)
        pre_stat_due = cal.due_after(start, terms.pre_acceptance_statutory_days)
        subjects.append(_Subject("pre_acceptance", None, start, pre_due, pre_stat_due, [], end))

    # Delivery.
    delivery_due = delivery_stat_due = None
    if f.decided_at is not None:
        delivery_due = cal.due_after(f.decided_at, terms.delivery_promised_days)
        delivery_stat_due = cal.due_after(f.decided_at, terms.delivery_statutory_days)
        subjects.append(
            _Subject("delivery", None, f.decided_at, delivery_due, delivery_stat_due, [], f.delivered_at)
        )

    # Deadlines.
    rule_policies: dict[str, RulePolicy] = {}

    def rule_policy(code: str) -> RulePolicy:
        rp = rule_policies.get(code)
        if rp is None:
            rp = rule_policies[code] = policy.rule(code)
        return rp

    def thresholds_of(subject: _Subject) -> dict[str, datetime]:
        # Per subject, computed once (the state below reuses them).
        if subject.thresholds is None:
            subject.thresholds = _thresholds(cal, subject, _levels(rule_policy(subject.rule), spd))
        return subject.thresholds

    best: dict[tuple[str, str, str | None], datetime] = {}
    closed_at = f.closed_at
    rule: str | None = None
    enabled, levels = False, ()
    for subject in subjects:  # grouped by rule
        if subject.rule != rule:
            rule = subject.rule
            rp = rule_policy(rule)
            enabled = bool(rp.enabled)
            levels = _levels(rp, spd) if enabled else ()
        if not enabled:
            continue
        subject_closed = subject.closed_at
        paused = paused_since if subject_closed is None and subject.pausable else None
        subject.thresholds = thresholds = _thresholds(cal, subject, levels)
        for level, at in thresholds.items():
            if subject_closed is not None and at > subject_closed:
                continue
            if paused is not None and at > paused:
                continue
            if closed_at is not None and at > closed_at:
                continue  # nothing falls due after the case closed
            key = (subject.rule, level, subject.step)
            earliest = best.get(key)
            if earliest is None or at < earliest:
                best[key] = at
    deadlines = tuple(
        _build(Deadline, {"rule": rule, "level": level, "step": step, "at": at})
        for (rule, level, step), at in sorted(
            best.items(), key=lambda kv: (kv[1], _RULE_RANK[kv[0][0]], _LEVEL_RANK[kv[0][1]], kv[0][2] or "")
        )
    )
    # Instants at which the clock changes without a new event (they coincide with deadlines under the default
    # policy, but must be swept even when the matching rule is disabled): deemed acceptance, 超时默认.
    transitions = []
    if f.pre_open:
        transitions.append(
            cal.due_after(f.pre_rounds[-1][0], terms.pre_acceptance_statutory_days) + ONE_SECOND
        )
    if f.case_end is None and paused_since is None:
        transitions += [
            due + ONE_SECOND for s, _start, due in machine.running_rounds() if s.term.parallel_group
        ]
    future = [d.at for d in deadlines if d.at > now] + [t for t in transitions if t > now]
    # A closed case (delivered / rejected / withdrawn / returned) changes no more: nothing to check.
    next_check_at = min(future) if future and f.closed_at is None else None

    # State.
    if f.status in CLOSED_STATUSES:
        state = "done"
    elif paused_since is not None or f.status == "correction":
        state = "suspended"
    else:
        phase = (
            [s for s in subjects if s.rule == "case_limit"]
            if f.accepted_at is not None
            else ([s for s in subjects if s.rule == "pre_acceptance" and s.closed_at is None])
        )
        rank = 0
        for subject in phase:
            for level, at in thresholds_of(subject).items():
                if now >= at:
                    rank = max(rank, _LEVEL_RANK[level])
        state = _LEVEL_NAMES[rank]

    # Calendar confirmation over the span the clock depends on.
    instants = [
        x
        for x in (f.submitted_at, f.accepted_at, promised_due, statutory_due, pre_stat_due, delivery_stat_due)
        if x is not None
    ]
    instants += [s.due for s in machine.steps if s.due is not None]
    instants += [sp.end_due for sp in specials]
    calendar_confirmed = cal.confirmed_between(min(instants), max(instants)) if instants else True

    return _build(
        Clock,
        {
            "status": f.status,
            "result": f.result,
            "unit": "natural_day" if unit == "natural" else "workday",
            "seconds_per_day": spd,
            "submitted_at": f.submitted_at,
            "accepted_at": f.accepted_at,
            "deemed_accepted": f.deemed,
            "clock_start": clock_start,
            "decided_at": f.decided_at,
            "delivered_at": f.delivered_at,
            "closed_at": f.closed_at,
            "elapsed_seconds": elapsed,
            "suspended_seconds": suspended,
            "elapsed_calendar_seconds": cal_elapsed,
            "suspended_calendar_seconds": cal_suspended,
            "extended_days": f.extended_days,
            "promised_due": promised_due,
            "statutory_due": statutory_due,
            "pre_acceptance_due": pre_due,
            "pre_acceptance_statutory_due": pre_stat_due,
            "delivery_due": delivery_due,
            "delivery_statutory_due": delivery_stat_due,
            "steps": tuple(step_clocks),
            "special": next(
                (sp for sp in reversed(specials) if sp.ended_at is None), specials[-1] if specials else None
            ),
            "specials": tuple(specials),
            "paused_since": paused_since,
            "calendar_confirmed": calendar_confirmed,
            "state": state,
            "deadlines": deadlines,
            "next_check_at": next_check_at,
        },
    )
