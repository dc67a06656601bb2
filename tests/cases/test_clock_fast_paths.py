"""The clock's shortcuts give the same answers as the long way round (pure, no database).

``compute_clock`` skips sorting events that arrive in engine order, computes the canonical payload JSON only for
exact sort ties, memoises per-policy levels, step layouts and ISO strings, and builds its frozen outputs without
their ``__init__``; none of that may show in a result.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.cases import clock as clock_module
from xiaoneng.cases.clock import (
    Clock,
    ClockEvent,
    DeadlinePolicy,
    SpecialProcedure,
    StepTerm,
    Terms,
    clock_event,
    compute_clock,
)
from xiaoneng.workcal.worktime import WorkCalendar, official_schedule

SH = ZoneInfo("Asia/Shanghai")
_h, _w, _y = official_schedule([2025, 2026])
CAL = WorkCalendar(_h, _w, confirmed_years=_y)
ORIGIN = datetime(2025, 9, 22, 8, 0, tzinfo=SH)
STEPS = (
    StepTerm("a", "a", 1),
    StepTerm("b", "b", 2),
    StepTerm("p", "p", 2, "g"),
    StepTerm("q", "q", 1, "g"),
    StepTerm("z", "z", 2),
)
TERMS = [
    Terms(steps=STEPS),
    Terms(steps=tuple(StepTerm(f"s{i}", f"s{i}", 2) for i in range(5))),
    Terms(unit="natural_day", statutory_days=15, promised_days=3),
]
POLICIES = [
    None,
    DeadlinePolicy.from_rows([{"rule": "step_limit", "enabled": False}]),
    DeadlinePolicy.from_rows(
        [
            {"rule": "case_limit", "level": "warning", "anchor": "statutory", "days": -3.5},
            {"rule": "pre_acceptance", "level": "yellow", "anchor": "start", "days": 1},
        ]
    ),
]
TYPES = [
    "accepted", "rejected", "correction_requested", "correction_completed", "step_completed", "step_completed",
    "suspended", "resumed", "extended", "fee_charged", "decided", "delivered", "withdrawn", "returned",
]  # fmt: skip


def payload(r: random.Random, type_: str) -> dict:
    if type_ == "step_completed":
        return {
            "step": r.choice(["a", "b", "p", "q", "z", "s0", "s1", "s2"]),
            "outcome": r.choice(["pass", "return"]),
        }
    if type_ == "suspended":
        return {"reason": r.choice(["hearing", "expert"]), "workdays": r.randrange(0, 6)}
    if type_ == "extended":
        return {"workdays": r.randrange(0, 12)}
    if type_ == "decided":
        return {"result": r.choice(["approved", "denied"])}
    return {}


def a_case(seed: int) -> list[ClockEvent]:
    r = random.Random(seed)
    first = ORIGIN + timedelta(minutes=r.randrange(0, 20 * 24 * 60))
    events = [ClockEvent("submitted", first, {"channel": "online"}, 0)]
    for _ in range(r.randrange(1, 10)):
        type_ = r.choice(TYPES)
        at = first + timedelta(minutes=r.randrange(0, 40 * 24 * 60), seconds=r.choice([0, 0, 7]))
        events.append(ClockEvent(type_, at, payload(r, type_), r.randrange(0, 3)))
    if r.random() < 0.4:  # an exact tie: same instant, seq and type, another payload
        e = r.choice(events)
        events.append(ClockEvent(e.type, e.occurred_at, payload(r, e.type) or {"note": "x"}, e.seq))
    return events


def deep(value):
    """Everything a result holds, datetimes by ISO text, zone and fold."""
    if isinstance(value, datetime):
        return ("dt", value.isoformat(), value.tzinfo, value.fold)
    if isinstance(value, tuple | list):
        return [deep(v) for v in value]
    if isinstance(value, dict):
        return {k: deep(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return (
            type(value).__name__,
            [(f.name, deep(getattr(value, f.name))) for f in dataclasses.fields(value)],
        )
    return value


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(
    seed=st.integers(0, 10**9),
    t=st.sampled_from(TERMS),
    policy=st.sampled_from(POLICIES),
    now_minutes=st.integers(0, 70 * 24 * 60),
    order_seed=st.integers(0, 10**6),
)
def test_engine_order_and_any_order_give_the_same_clock(seed, t, policy, now_minutes, order_seed):
    events = a_case(seed)
    now = ORIGIN + timedelta(minutes=now_minutes)
    engine_order = sorted(events, key=lambda e: (e.occurred_at, e.seq))  # what cases.services passes
    shuffled = list(events)
    random.Random(order_seed).shuffle(shuffled)
    a = compute_clock(engine_order, t, CAL, now, policy)
    b = compute_clock(shuffled, t, CAL, now, policy)
    c = compute_clock(iter(reversed(engine_order)), t, CAL, now, policy)  # any iterable
    assert deep(a) == deep(b) == deep(c)
    assert a.as_dict() == b.as_dict() == c.as_dict()
    assert a.as_dict(omit=frozenset({"deadlines", "steps"})) == {
        k: v for k, v in a.as_dict().items() if k not in ("deadlines", "steps")}


def test_exact_ties_are_ordered_by_the_canonical_payload():
    accepted = ORIGIN + timedelta(hours=1)
    at = accepted + timedelta(days=2)
    base = [ClockEvent("submitted", ORIGIN, {}, 0), ClockEvent("accepted", accepted, {}, 0)]
    short = ClockEvent("suspended", at, {"reason": "b", "workdays": 1}, 3)
    long = ClockEvent("suspended", at, {"reason": "a", "workdays": 5}, 3)  # sorts first: "a" < "b"
    resumed = ClockEvent("resumed", at + timedelta(days=1), {}, 0)
    now = at + timedelta(days=10)
    one = compute_clock([*base, short, long, resumed], TERMS[1], CAL, now)
    other = compute_clock([*base, long, short, resumed], TERMS[1], CAL, now)
    assert deep(one) == deep(other)
    # The resume ends the most recently started open procedure: the one whose payload sorts last.
    assert [sp.requested_days for sp in one.specials] == [5, 1]
    assert [sp.ended_at is None for sp in one.specials] == [True, False]


def test_mixed_zones_fall_back_to_sorting():
    """Events in several zones (or with seq ties) are sorted as before: the engine-order shortcut needs one zone."""
    events = a_case(7)
    now = ORIGIN + timedelta(days=30)
    mixed = [
        dataclasses.replace(
            e, occurred_at=e.occurred_at.astimezone(UTC if i % 2 else timezone(timedelta(hours=8)))
        )
        for i, e in enumerate(events)
    ]
    assert compute_clock(mixed, TERMS[0], CAL, now) == compute_clock(events, TERMS[0], CAL, now)


def test_outputs_are_ordinary_dataclass_instances():
    """Built without ``__init__``: every field present, in declaration order, equal to (and serialised like)
    the same object built by ``__init__``; ``as_dict`` is ``dataclasses.asdict`` with ISO datetimes."""
    events = [
        ClockEvent("submitted", ORIGIN, {}, 0),
        ClockEvent("accepted", ORIGIN + timedelta(hours=2), {}, 1),
        ClockEvent("step_completed", ORIGIN + timedelta(days=1), {"step": "a"}, 2),
        ClockEvent("suspended", ORIGIN + timedelta(days=2), {"reason": "hearing", "workdays": 2}, 3),
    ]
    c = compute_clock(events, TERMS[0], CAL, ORIGIN + timedelta(days=3))
    assert c.steps and c.specials and c.deadlines
    for obj in (c, *c.steps, *c.specials, *c.deadlines):
        assert list(vars(obj)) == [f.name for f in dataclasses.fields(obj)]
        again = dataclasses.replace(obj)  # through __init__
        assert again == obj and hash(again) == hash(obj) and repr(again) == repr(obj)
    assert isinstance(c.special, SpecialProcedure)

    def iso(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [iso(v) for v in value]
        if isinstance(value, dict):
            return {k: iso(v) for k, v in value.items()}
        return value

    expected = iso(dataclasses.asdict(c)) | {
        "elapsed_days": c.elapsed_days,
        "suspended_days": c.suspended_days,
    }
    assert c.as_dict() == expected
    assert list(c.as_dict()) == list(expected)
    assert dataclasses.replace(c).as_dict() == expected
    omit = frozenset({"steps", "deadlines", "status"})
    kept = {k: v for k, v in expected.items() if k not in omit}
    assert list(c.as_dict(omit=omit).items()) == list(kept.items())
    assert dataclasses.replace(c).as_dict(omit=omit) == kept


def test_iso_memo_keeps_zone_and_fold_apart():
    ny = ZoneInfo("America/New_York")
    first = datetime(2025, 11, 2, 1, 30, tzinfo=ny)
    values = [
        first,
        first.replace(fold=1),  # equal to ``first`` (same tzinfo), one hour later
        first.astimezone(UTC),  # equal instant, other zone
        first.astimezone(SH),
        first.replace(tzinfo=timezone(timedelta(hours=-4))),
        datetime(2025, 11, 2, 1, 30),  # naive
    ]
    for _ in range(2):
        for value in values + values[::-1]:
            assert clock_module._iso(value) == value.isoformat()


def test_policies_with_the_same_levels_in_other_objects_agree():
    events = a_case(11)
    now = ORIGIN + timedelta(days=25)
    rows = [{"rule": "case_limit", "level": "warning", "anchor": "promised", "days": -1}]
    results = {
        repr(deep(compute_clock(events, TERMS[1], CAL, now, DeadlinePolicy.from_rows(rows))))
        for _ in range(3)
    }
    assert len(results) == 1
    default = compute_clock(events, TERMS[1], CAL, now)
    assert deep(compute_clock(events, TERMS[1], CAL, now, DeadlinePolicy())) == deep(default)
    assert isinstance(default, Clock)


def test_clock_event_is_the_dataclass_built_by_init():
    built = clock_event("step_completed", ORIGIN, {"step": "a"}, 3)
    by_init = ClockEvent("step_completed", ORIGIN, {"step": "a"}, 3)
    assert built == by_init and repr(built) == repr(by_init)
    assert list(vars(built)) == [f.name for f in dataclasses.fields(ClockEvent)]
    assert built._sort_key() == by_init._sort_key()
