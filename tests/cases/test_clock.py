"""Pure tests of the case clock (no database, no Django setup needed).

Calendar: the official 2025–2026 schedule, written out explicitly (State Council notices):
2025  元旦 Jan 1 · 春节 Jan 28–Feb 4 (调休 Sun Jan 26, Sat Feb 8) · 清明 Apr 4–6 · 劳动节 May 1–5 (调休 Sun Apr 27)
      · 端午 May 31–Jun 2 · 国庆+中秋 Oct 1–8 (调休 Sun Sep 28, Sat Oct 11)
2026  元旦 Jan 1–3 (调休 Sun Jan 4) · 春节 Feb 15–23 (调休 Sat Feb 14, Sat Feb 28) · 清明 Apr 4–6
      · 劳动节 May 1–5 (调休 Sat May 9) · 端午 Jun 19–21 · 中秋 Sep 25–27 (调休 Sun Sep 20) · 国庆 Oct 1–7 (调休 Sat Oct 10)
Office hours 08:30–12:00, 14:00–17:30 (25 200 s a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.cases.clock import (
    Clock,
    ClockEvent,
    Deadline,
    DeadlinePolicy,
    RulePolicy,
    StepTerm,
    Terms,
    Threshold,
    compute_clock,
)
from xiaoneng.workcal.worktime import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
SPD = 25200
S = timedelta(seconds=1)


def _range(a: str, b: str) -> set[date]:
    start, end = date.fromisoformat(a), date.fromisoformat(b)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


HOLIDAYS = (
    {date(2025, 1, 1)}
    | _range("2025-01-28", "2025-02-04")
    | _range("2025-04-04", "2025-04-06")
    | _range("2025-05-01", "2025-05-05")
    | _range("2025-05-31", "2025-06-02")
    | _range("2025-10-01", "2025-10-08")
    | _range("2026-01-01", "2026-01-03")
    | _range("2026-02-15", "2026-02-23")
    | _range("2026-04-04", "2026-04-06")
    | _range("2026-05-01", "2026-05-05")
    | _range("2026-06-19", "2026-06-21")
    | _range("2026-09-25", "2026-09-27")
    | _range("2026-10-01", "2026-10-07")
)
WORKDAYS = {
    date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11),
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
    date(2026, 10, 10),
}
CAL = WorkCalendar(holidays=HOLIDAYS, workdays=WORKDAYS, confirmed_years=[2025, 2026])


def dt(y, m, d, h=0, mi=0, s=0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=TZ)


def ev(type_: str, at: datetime, seq: int = 0, **payload) -> ClockEvent:
    return ClockEvent(type_, at, payload, seq)


def terms(promised=10, statutory=20, **kw) -> Terms:
    return Terms(unit=kw.pop("unit", "workday"), statutory_days=statutory, promised_days=promised,
                 handling_type=kw.pop("handling_type", "promised"), **kw)


def clock(events, t=None, now=None, policy=None) -> Clock:
    return compute_clock(events, t or terms(), CAL, now, policy or DeadlinePolicy())


def dl(c: Clock, rule: str | None = None) -> dict[tuple[str, str | None], datetime]:
    """Deadlines as {(level, step): at}, optionally for one rule."""
    return {(d.level, d.step): d.at for d in c.deadlines if rule is None or d.rule == rule}


def opened(at: datetime) -> list[ClockEvent]:
    return [ev("submitted", at - timedelta(minutes=30), channel="window"), ev("accepted", at)]


# --- due dates across real holidays ---------------------------------------------------------------------------

DUE_TABLE = [
    # accepted_at, promised days, expected clock_start, expected promised due
    (dt(2025, 9, 26, 10), 1, dt(2025, 9, 28, 8, 30), dt(2025, 9, 28, 17, 30)),  # Sun 28 is 调休
    (dt(2025, 9, 26, 10), 3, dt(2025, 9, 28, 8, 30), dt(2025, 9, 30, 17, 30)),
    (dt(2025, 9, 26, 10), 4, dt(2025, 9, 28, 8, 30), dt(2025, 10, 9, 17, 30)),  # over National Day
    (dt(2025, 9, 26, 10), 6, dt(2025, 9, 28, 8, 30), dt(2025, 10, 11, 17, 30)),  # Sat 11 is 调休
    (dt(2025, 9, 30, 16), 1, dt(2025, 10, 9, 8, 30), dt(2025, 10, 9, 17, 30)),
    (dt(2025, 10, 3, 10), 1, dt(2025, 10, 9, 8, 30), dt(2025, 10, 9, 17, 30)),  # accepted on a holiday
    (dt(2025, 10, 10, 18), 1, dt(2025, 10, 11, 8, 30), dt(2025, 10, 11, 17, 30)),  # after hours
    (dt(2025, 1, 24, 9), 1, dt(2025, 1, 26, 8, 30), dt(2025, 1, 26, 17, 30)),  # Sun Jan 26 调休
    (dt(2025, 1, 24, 9), 3, dt(2025, 1, 26, 8, 30), dt(2025, 2, 5, 17, 30)),  # over Spring Festival
    (dt(2025, 1, 24, 9), 6, dt(2025, 1, 26, 8, 30), dt(2025, 2, 8, 17, 30)),  # Sat Feb 8 调休
    (dt(2025, 1, 24, 9), 7, dt(2025, 1, 26, 8, 30), dt(2025, 2, 10, 17, 30)),
    (dt(2026, 2, 13, 9), 2, dt(2026, 2, 14, 8, 30), dt(2026, 2, 24, 17, 30)),
    (dt(2026, 9, 30, 9), 3, dt(2026, 10, 8, 8, 30), dt(2026, 10, 10, 17, 30)),
]


@pytest.mark.parametrize(("accepted_at", "days", "start", "due"), DUE_TABLE)
def test_due_dates_across_holidays(accepted_at, days, start, due):
    c = clock(opened(accepted_at), terms(promised=days, statutory=days), now=accepted_at)
    assert c.clock_start == start
    assert c.promised_due == due == c.statutory_due
    assert c.status == "accepted" and c.calendar_confirmed


def test_unconfirmed_year_is_flagged_not_raised():
    c = clock(opened(dt(2026, 12, 21, 10)), terms(promised=20, statutory=60), now=dt(2026, 12, 21, 11))
    assert c.calendar_confirmed is False
    assert c.statutory_due.year == 2027


# --- boundaries one second around the thresholds --------------------------------------------------------------

BASE = opened(dt(2025, 9, 26, 10))  # promised 5 → Fri Oct 10 17:30; statutory 20 → Thu Oct 30 17:30
T5 = terms(promised=5, statutory=20)


@pytest.mark.parametrize(
    ("now", "state", "next_check"),
    [
        (dt(2025, 9, 26, 11), "normal", dt(2025, 10, 9, 8, 30)),
        (dt(2025, 10, 9, 8, 29, 59), "normal", dt(2025, 10, 9, 8, 30)),
        (dt(2025, 10, 9, 8, 30), "warning", dt(2025, 10, 10, 17, 30, 1)),
        (dt(2025, 10, 10, 17, 30), "warning", dt(2025, 10, 10, 17, 30, 1)),
        (dt(2025, 10, 10, 17, 30, 1), "yellow", dt(2025, 10, 30, 17, 30, 1)),
        (dt(2025, 10, 30, 17, 30), "yellow", dt(2025, 10, 30, 17, 30, 1)),
        (dt(2025, 10, 30, 17, 30, 1), "red", None),
    ],
)
def test_case_limit_boundaries(now, state, next_check):
    c = clock(BASE, T5, now=now)
    assert c.promised_due == dt(2025, 10, 10, 17, 30)
    assert c.statutory_due == dt(2025, 10, 30, 17, 30)
    assert c.state == state
    assert c.next_check_at == next_check
    assert dl(c, "case_limit") == {
        ("warning", None): dt(2025, 10, 9, 8, 30),
        ("yellow", None): dt(2025, 10, 10, 17, 30, 1),
        ("red", None): dt(2025, 10, 30, 17, 30, 1),
    }


def test_decided_one_second_before_and_after_due():
    on_time = clock([*BASE, ev("decided", dt(2025, 10, 10, 17, 30), result="approved")], T5,
                    now=dt(2025, 10, 10, 17, 31))
    assert set(dl(on_time, "case_limit")) == {("warning", None)}
    assert on_time.state == "done" and on_time.status == "decided"
    late = clock([*BASE, ev("decided", dt(2025, 10, 10, 17, 30, 1), result="approved")], T5,
                 now=dt(2025, 10, 10, 17, 31))
    assert set(dl(late, "case_limit")) == {("warning", None), ("yellow", None)}


def test_elapsed_counts_working_time_from_clock_start():
    c = clock(BASE, T5, now=dt(2025, 10, 9, 10))  # Sep 28, 29, 30 + 1.5 h on Oct 9
    assert c.elapsed_seconds == 3 * SPD + 5400
    assert c.elapsed_days == 3.2 and c.suspended_days == 0.0
    assert clock(BASE, T5, now=dt(2025, 9, 26, 16)).elapsed_seconds == 0  # acceptance day not counted


# --- pre-acceptance, correction, deemed acceptance ------------------------------------------------------------


def test_correction_then_acceptance():
    events = [
        ev("submitted", dt(2025, 11, 3, 9), channel="online"),
        ev("correction_requested", dt(2025, 11, 4, 10), materials=["营业执照"]),
        ev("correction_completed", dt(2025, 11, 10, 9)),
        ev("accepted", dt(2025, 11, 12, 15)),
    ]
    during = clock(events[:2], now=dt(2025, 11, 7, 10))
    assert during.status == "correction" and during.state == "suspended"
    assert dl(during) == {}  # answered (one correction notice) before any pre-acceptance threshold
    c = clock(events, now=dt(2025, 11, 12, 16))
    assert c.status == "accepted" and not c.deemed_accepted
    assert c.accepted_at == dt(2025, 11, 12, 15)
    assert c.clock_start == dt(2025, 11, 13, 8, 30)
    assert c.pre_acceptance_due == dt(2025, 11, 12, 17, 30)  # restarted from the completion
    assert dl(c, "pre_acceptance") == {}


def test_correction_then_silence_deems_acceptance_on_completion_day():
    events = [
        ev("submitted", dt(2025, 11, 3, 9), channel="online"),
        ev("correction_requested", dt(2025, 11, 4, 10), materials=["营业执照"]),
        ev("correction_completed", dt(2025, 11, 10, 9)),
    ]
    before = clock(events, now=dt(2025, 11, 17, 17, 30))
    assert before.status == "submitted" and before.state == "yellow"
    c = clock(events, now=dt(2025, 11, 17, 17, 30, 1))
    assert c.deemed_accepted and c.status == "accepted"
    assert c.accepted_at == dt(2025, 11, 10, 9)
    assert c.clock_start == dt(2025, 11, 11, 8, 30)
    assert dl(c, "pre_acceptance") == {
        ("warning", None): dt(2025, 11, 12, 17, 30, 1),
        ("yellow", None): dt(2025, 11, 13, 17, 30, 1),
        ("red", None): dt(2025, 11, 17, 17, 30, 1),
    }


def test_deemed_acceptance_over_national_day():
    events = [ev("submitted", dt(2025, 9, 26, 10), channel="online")]
    assert clock(events, T5, now=dt(2025, 9, 29, 17, 30)).state == "normal"
    c = clock(events, T5, now=dt(2025, 9, 29, 17, 30, 1))
    assert c.state == "warning" and c.next_check_at == dt(2025, 9, 30, 17, 30, 1)
    c = clock(events, T5, now=dt(2025, 10, 10, 17, 30))
    assert c.status == "submitted" and c.state == "yellow" and not c.deemed_accepted
    assert c.next_check_at == dt(2025, 10, 10, 17, 30, 1)
    c = clock(events, T5, now=dt(2025, 10, 10, 17, 30, 1))
    assert c.deemed_accepted and c.status == "accepted"
    assert c.accepted_at == dt(2025, 9, 26, 10)  # the day of receipt
    assert c.clock_start == dt(2025, 9, 28, 8, 30)
    assert c.promised_due == dt(2025, 10, 10, 17, 30)
    assert dl(c, "pre_acceptance") == {
        ("warning", None): dt(2025, 9, 29, 17, 30, 1),
        ("yellow", None): dt(2025, 9, 30, 17, 30, 1),
        ("red", None): dt(2025, 10, 10, 17, 30, 1),
    }
    assert c.state == "yellow"  # the deemed case is already past its promised due
    # A late `accepted` event does not move the deemed acceptance.
    late = clock([*events, ev("accepted", dt(2025, 10, 13, 9))], T5, now=dt(2025, 10, 13, 10))
    assert late.deemed_accepted and late.accepted_at == dt(2025, 9, 26, 10)


def test_answer_exactly_at_the_pre_acceptance_limit_is_in_time():
    events = [ev("submitted", dt(2025, 9, 26, 10)), ev("accepted", dt(2025, 10, 10, 17, 30))]
    c = clock(events, T5, now=dt(2025, 10, 11, 9))
    assert not c.deemed_accepted and c.accepted_at == dt(2025, 10, 10, 17, 30)
    assert set(dl(c, "pre_acceptance")) == {("warning", None), ("yellow", None)}


# --- special procedures ---------------------------------------------------------------------------------------

ACC = opened(dt(2025, 11, 3, 10))  # Mon; clock start Tue Nov 4; promised 10 → Nov 17; statutory 20 → Dec 1


def test_plain_dues_of_the_reference_case():
    c = clock(ACC, now=dt(2025, 11, 3, 11))
    assert c.promised_due == dt(2025, 11, 17, 17, 30) and c.statutory_due == dt(2025, 12, 1, 17, 30)


def test_special_procedure_overrun_only_requested_days_excluded():
    susp = ev("suspended", dt(2025, 11, 6, 8, 30), reason="expert_review", workdays=2)
    res = ev("resumed", dt(2025, 11, 12, 8, 30), result="ok")
    during = clock([*ACC, susp], now=dt(2025, 11, 10, 10))
    assert during.status == "suspended" and during.state == "suspended"
    assert during.paused_since == dt(2025, 11, 6, 8, 30)
    assert dl(during, "case_limit") == {}  # dues unknown while suspended
    assert dl(during, "special_procedure") == {
        ("yellow", None): dt(2025, 11, 7, 17, 30, 1),
        ("red", None): dt(2025, 11, 10, 17, 30, 1),
    }
    assert during.next_check_at == dt(2025, 11, 10, 17, 30, 1)
    assert during.special.end_due == dt(2025, 11, 7, 17, 30) and during.special.overrun

    c = clock([*ACC, susp, res], now=dt(2025, 11, 12, 8, 30))
    assert c.status == "accepted" and c.state == "normal"
    assert c.suspended_seconds == 2 * SPD  # 4 working days suspended, 2 requested
    assert c.promised_due == dt(2025, 11, 19, 17, 30)
    assert c.statutory_due == dt(2025, 12, 3, 17, 30)
    assert c.elapsed_seconds == 4 * SPD  # Nov 4–11 is 6 days, minus 2 excluded
    assert c.special.ended_at == dt(2025, 11, 12, 8, 30) and c.special.excluded_seconds == 2 * SPD
    assert set(dl(c, "special_procedure")) == {("yellow", None), ("red", None)}
    assert dl(c, "case_limit")[("warning", None)] == dt(2025, 11, 18, 8, 30)


def test_special_procedure_within_requested_days():
    events = [
        *ACC,
        ev("suspended", dt(2025, 11, 6, 8, 30), reason="hearing", workdays=5),
        ev("resumed", dt(2025, 11, 7, 8, 30), result="ok"),
    ]
    c = clock(events, now=dt(2025, 11, 7, 9))
    assert c.suspended_seconds == SPD and c.promised_due == dt(2025, 11, 18, 17, 30)
    assert dl(c, "special_procedure") == {}  # warning (2 before its end) not reached before the resume
    assert c.special.end_due == dt(2025, 11, 12, 17, 30) and not c.special.overrun


def test_suspension_after_the_due_does_not_move_it():
    events = [*ACC, ev("suspended", dt(2025, 11, 18, 9), reason="testing", workdays=3),
              ev("resumed", dt(2025, 11, 19, 9))]
    c = clock(events, now=dt(2025, 11, 20, 9))
    assert c.promised_due == dt(2025, 11, 17, 17, 30)
    assert c.statutory_due == dt(2025, 12, 2, 17, 30)
    assert c.state == "yellow"


def test_correction_during_review_stops_the_clock_fully():
    events = [*ACC, ev("correction_requested", dt(2025, 11, 5, 8, 30), materials=["图纸"]),
              ev("correction_completed", dt(2025, 11, 12, 8, 30))]
    during = clock(events[:-1], now=dt(2025, 11, 10, 9))
    assert during.status == "accepted" and during.state == "suspended"
    c = clock(events, now=dt(2025, 11, 12, 9))
    assert c.suspended_seconds == 5 * SPD
    assert c.promised_due == dt(2025, 11, 24, 17, 30)


# --- extension ------------------------------------------------------------------------------------------------


def test_extension_once_and_capped():
    ext = ev("extended", dt(2025, 11, 10, 9), workdays=5, approver="局长")
    c = clock([*ACC, ext, ev("extended", dt(2025, 11, 12, 9), workdays=3, approver="局长")],
              now=dt(2025, 11, 12, 10))
    assert c.extended_days == 5
    assert c.promised_due == dt(2025, 11, 24, 17, 30)
    assert c.statutory_due == dt(2025, 12, 8, 17, 30)
    capped = clock([*ACC, ev("extended", dt(2025, 11, 10, 9), workdays=15, approver="局长")],
                   now=dt(2025, 11, 12, 10))
    assert capped.extended_days == 10 and capped.promised_due == dt(2025, 12, 1, 17, 30)
    invalid = clock([*ACC, ev("extended", dt(2025, 11, 10, 9), workdays=0), ext], now=dt(2025, 11, 12, 10))
    assert invalid.extended_days == 5


# --- natural days, 即办件 --------------------------------------------------------------------------------------


def test_natural_day_item():
    t = terms(promised=3, statutory=15, unit="natural_day")
    events = opened(dt(2025, 9, 26, 10))
    c = clock(events, t, now=dt(2025, 9, 26, 11))
    assert c.unit == "natural_day"
    assert c.promised_due == dt(2025, 9, 29, 17, 30)
    assert c.statutory_due == dt(2025, 10, 11, 17, 30)  # Oct 11 is a 调休 working day
    t5 = terms(promised=5, statutory=15, unit="natural_day")
    assert clock(events, t5, now=dt(2025, 9, 26, 11)).promised_due == dt(2025, 10, 9, 17, 30)  # Oct 1 off
    # delivery stays in working days
    decided = clock([*events, ev("decided", dt(2025, 9, 30, 16), result="approved")], t,
                    now=dt(2025, 9, 30, 16, 1))
    assert decided.delivery_due == dt(2025, 10, 11, 17, 30)
    assert decided.delivery_statutory_due == dt(2025, 10, 21, 17, 30)
    assert decided.next_check_at == dt(2025, 10, 11, 17, 30, 1)


def test_instant_item():
    t = terms(promised=0, statutory=0, handling_type="instant")
    events = opened(dt(2025, 9, 30, 15))
    c = clock(events, t, now=dt(2025, 9, 30, 15, 5))
    assert c.promised_due == c.statutory_due == dt(2025, 9, 30, 17, 30)
    assert dl(c, "case_limit") == {("yellow", None): dt(2025, 9, 30, 17, 30, 1),
                                   ("red", None): dt(2025, 9, 30, 17, 30, 1)}
    assert c.state == "normal"
    assert clock(events, t, now=dt(2025, 9, 30, 17, 30, 1)).state == "red"
    done = clock([*events, ev("decided", dt(2025, 9, 30, 16), result="approved")], t, now=dt(2025, 9, 30, 17))
    assert done.state == "done" and dl(done, "case_limit") == {} and done.elapsed_seconds == 0


# --- steps ----------------------------------------------------------------------------------------------------

STEPS = (
    StepTerm("accept", "受理", 1),
    StepTerm("review1", "初审", 2),
    StepTerm("dept_a", "会签甲", 3, "joint"),
    StepTerm("dept_b", "会签乙", 2, "joint"),
    StepTerm("decide", "决定", 1),
)
TS = terms(promised=10, statutory=20, steps=STEPS, handling_type="joint")
STEP_EVENTS = [
    ev("submitted", dt(2025, 11, 3, 8, 45)),
    ev("accepted", dt(2025, 11, 3, 9)),
    ev("step_completed", dt(2025, 11, 3, 10), step="accept", outcome="pass"),
    ev("step_completed", dt(2025, 11, 4, 11), step="review1", outcome="pass"),
    ev("step_completed", dt(2025, 11, 5, 16), step="dept_a", outcome="pass"),
]


def steps_of(c: Clock):
    return {s.code: s for s in c.steps}


def test_parallel_steps_with_default_approval():
    before = steps_of(clock(STEP_EVENTS, TS, now=dt(2025, 11, 6, 11)))
    assert before["dept_a"].started_at == before["dept_b"].started_at == dt(2025, 11, 4, 11)
    assert before["dept_a"].due == dt(2025, 11, 7, 11) and before["dept_b"].due == dt(2025, 11, 6, 11)
    assert before["dept_b"].completed_at is None and not before["dept_b"].by_default
    assert before["decide"].started_at is None

    c = clock(STEP_EVENTS, TS, now=dt(2025, 11, 10, 9))
    st_ = steps_of(c)
    assert st_["dept_b"].by_default and st_["dept_b"].overdue
    assert st_["dept_b"].completed_at == dt(2025, 11, 6, 11)
    assert st_["dept_a"].completed_at == dt(2025, 11, 5, 16) and not st_["dept_a"].overdue
    assert st_["decide"].started_at == dt(2025, 11, 6, 11)
    assert st_["decide"].due == dt(2025, 11, 7, 11) and st_["decide"].overdue
    assert st_["accept"].due == dt(2025, 11, 4, 9) and not st_["accept"].overdue
    assert dl(c, "step_limit") == {
        ("warning", "review1"): dt(2025, 11, 4, 10),  # passed while the step was open
        ("warning", "dept_b"): dt(2025, 11, 5, 11),
        ("yellow", "dept_b"): dt(2025, 11, 6, 11, 0, 1),
        ("yellow", "decide"): dt(2025, 11, 7, 11, 0, 1),
    }


def test_non_parallel_step_is_never_completed_by_default():
    c = clock(STEP_EVENTS[:3], TS, now=dt(2025, 11, 20, 9))
    review = steps_of(c)["review1"]
    assert review.completed_at is None and review.overdue and not review.by_default
    assert steps_of(c)["dept_a"].started_at is None


def test_return_restarts_the_previous_step():
    events = [*STEP_EVENTS[:3], ev("step_completed", dt(2025, 11, 4, 11), step="review1", outcome="return")]
    st_ = steps_of(clock(events, TS, now=dt(2025, 11, 4, 12)))
    assert st_["accept"].started_at == dt(2025, 11, 4, 11) and st_["accept"].completed_at is None
    assert st_["accept"].due == dt(2025, 11, 5, 11)
    assert st_["review1"].started_at is None


def test_step_dues_move_with_a_suspension():
    events = [*STEP_EVENTS[:4], ev("suspended", dt(2025, 11, 5, 8, 30), reason="testing", workdays=1),
              ev("resumed", dt(2025, 11, 6, 8, 30))]
    st_ = steps_of(clock(events, TS, now=dt(2025, 11, 6, 9)))
    assert st_["dept_b"].due == dt(2025, 11, 7, 11)  # 2 days from Nov 4 11:00 plus 1 excluded day


# --- closing: withdrawal, decision after due, delivery, late report -------------------------------------------


def test_withdrawal_before_a_threshold_raises_nothing():
    c = clock([*ACC, ev("withdrawn", dt(2025, 11, 13, 10), reason="申请人撤回")], now=dt(2025, 12, 20))
    assert c.status == "withdrawn" and c.state == "done" and c.closed_at == dt(2025, 11, 13, 10)
    assert c.deadlines == () and c.next_check_at is None
    c = clock([*ACC, ev("withdrawn", dt(2025, 11, 14, 9), reason="申请人撤回")], now=dt(2025, 12, 20))
    assert c.deadlines == (Deadline("case_limit", "warning", None, dt(2025, 11, 14, 8, 30)),)


def test_returned_and_rejected_close_everything():
    c = clock([*ACC, ev("returned", dt(2025, 11, 5, 10), reason="材料不符")], now=dt(2025, 12, 20))
    assert c.status == "returned" and c.deadlines == () and c.state == "done"
    r = clock([ev("submitted", dt(2025, 11, 3, 9)), ev("rejected", dt(2025, 11, 6, 9), reason="不属于本部门")],
              now=dt(2025, 12, 20))
    assert r.status == "rejected" and r.accepted_at is None
    assert set(dl(r, "pre_acceptance")) == {("warning", None)}  # promised 2 d passed before the rejection


def test_decision_after_due_keeps_passed_deadlines_and_opens_delivery():
    events = [*ACC, ev("decided", dt(2025, 12, 2, 10), result="approved", document_no="X-1")]
    c = clock(events, now=dt(2025, 12, 2, 10))
    assert c.status == "decided" and c.state == "done" and c.closed_at is None
    assert dl(c, "case_limit") == {
        ("warning", None): dt(2025, 11, 14, 8, 30),
        ("yellow", None): dt(2025, 11, 17, 17, 30, 1),
        ("red", None): dt(2025, 12, 1, 17, 30, 1),
    }
    assert dl(c, "delivery") == {("yellow", None): dt(2025, 12, 5, 17, 30, 1),
                                 ("red", None): dt(2025, 12, 16, 17, 30, 1)}
    assert c.next_check_at == dt(2025, 12, 5, 17, 30, 1)
    assert c.elapsed_seconds == 20 * SPD + 5400  # frozen at the decision
    assert clock(events, now=dt(2026, 1, 5)).elapsed_seconds == 20 * SPD + 5400
    delivered = clock([*events, ev("delivered", dt(2025, 12, 3, 9), method="window")], now=dt(2026, 1, 5))
    assert delivered.status == "delivered" and delivered.closed_at == dt(2025, 12, 3, 9)
    assert dl(delivered, "delivery") == {} and delivered.next_check_at is None


def test_late_report_lists_every_passed_level():
    events = [*STEP_EVENTS[:2]]
    c = clock(events, TS, now=dt(2025, 12, 10, 9))
    assert {(d.rule, d.level) for d in c.deadlines} >= {
        ("case_limit", "warning"), ("case_limit", "yellow"), ("case_limit", "red"), ("step_limit", "yellow"),
    }
    assert all(d.at <= dt(2025, 12, 10, 9) for d in c.deadlines) and c.next_check_at is None
    assert c.state == "red"


def test_policy_is_data():
    rows = [
        {"rule": "step_limit", "enabled": False},
        {"rule": "case_limit", "level": "warning", "anchor": "promised", "days": -3},
        {"rule": "delivery", "level": "red", "anchor": None},
        {"rule": "illegal_fee", "level": "red", "anchor": "x", "days": 1},
    ]
    policy = DeadlinePolicy.from_rows(rows)
    assert policy.step_limit.enabled is False
    assert policy.case_limit.warning == Threshold("promised", -3)
    assert policy.delivery.red is None and policy.delivery.yellow == Threshold("promised", 0)
    c = clock(STEP_EVENTS[:2], TS, now=dt(2025, 11, 3, 10), policy=policy)
    assert {d.rule for d in c.deadlines} == {"case_limit"}
    assert dl(c, "case_limit")[("warning", None)] == dt(2025, 11, 13, 8, 30)
    off = DeadlinePolicy(case_limit=RulePolicy(enabled=False))
    assert clock(ACC, now=dt(2025, 11, 20), policy=off).state == "normal"  # no thresholds configured
    assert clock(ACC, now=dt(2025, 11, 20), policy=DeadlinePolicy(
        case_limit=RulePolicy(enabled=False, yellow=Threshold("promised", 0)))).state == "yellow"


def test_transitions_are_swept_even_when_their_rule_is_disabled():
    policy = DeadlinePolicy(pre_acceptance=RulePolicy(enabled=False), step_limit=RulePolicy(enabled=False),
                            case_limit=RulePolicy(enabled=False))
    c = clock([ev("submitted", dt(2025, 9, 26, 10))], T5, now=dt(2025, 9, 27), policy=policy)
    assert c.deadlines == () and c.next_check_at == dt(2025, 10, 10, 17, 30, 1)  # deemed acceptance
    c = clock(STEP_EVENTS, TS, now=dt(2025, 11, 5, 17), policy=policy)
    assert c.next_check_at == dt(2025, 11, 6, 11, 0, 1)  # dept_b completed by default


def test_natural_day_item_shows_natural_elapsed_days():
    t = terms(promised=3, statutory=15, unit="natural_day")
    c = clock(opened(dt(2025, 9, 26, 10)), t, now=dt(2025, 9, 29, 12))
    assert c.elapsed_days == 2.5  # Sat 27 00:00 → Mon 29 12:00
    assert c.elapsed_seconds == SPD + 3.5 * 3600  # Sun 28 (调休) + Mon morning, in working time
    assert clock(opened(dt(2025, 9, 26, 10)), T5, now=dt(2025, 9, 29, 12)).elapsed_days == 1.5


def test_as_dict_is_json_ready():
    import json

    c = clock(STEP_EVENTS, TS, now=dt(2025, 11, 10, 9))
    data = json.loads(json.dumps(c.as_dict()))
    assert data["promised_due"] == "2025-11-17T17:30:00+08:00"
    assert data["elapsed_days"] == c.elapsed_days


# --- properties -----------------------------------------------------------------------------------------------

ORIGIN = dt(2025, 9, 22, 8, 0)  # spans National Day; events within ~100 days
TYPES = [
    "submitted", "accepted", "rejected", "correction_requested", "correction_completed", "step_completed",
    "suspended", "resumed", "extended", "fee_charged", "decided", "delivered", "withdrawn", "returned",
]


ANY_TYPE = st.sampled_from(TYPES)


@st.composite
def an_event(draw, types=ANY_TYPE):
    type_ = draw(types)
    at = ORIGIN + timedelta(minutes=draw(st.integers(0, 100 * 24 * 60)))
    payload: dict = {}
    if type_ == "step_completed":
        payload = {"step": draw(st.sampled_from([s.code for s in STEPS] + ["nope"])),
                   "outcome": draw(st.sampled_from(["pass", "pass", "return"]))}
    elif type_ == "suspended":
        payload = {"reason": "testing", "workdays": draw(st.integers(0, 8))}
    elif type_ == "extended":
        payload = {"workdays": draw(st.integers(0, 15)), "approver": "x"}
    elif type_ == "decided":
        payload = {"result": draw(st.sampled_from(["approved", "denied"]))}
    return ClockEvent(type_, at, payload, draw(st.integers(0, 2)))


ANY_EVENTS = st.lists(an_event(), max_size=12)


def a_case(draw, extra=ANY_EVENTS):
    first = ORIGIN + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
    events = [ClockEvent("submitted", first, {"channel": "online"})]
    if draw(st.booleans()):
        events.append(ClockEvent("accepted", first + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60))), {}))
    return events + draw(extra)


NOW = st.integers(0, 130 * 24 * 60).map(lambda m: ORIGIN + timedelta(minutes=m))
TERM_CHOICES = st.sampled_from([TS, T5, terms(promised=0, statutory=0, handling_type="instant"),
                                terms(promised=3, statutory=15, unit="natural_day")])
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(data=st.data(), t=TERM_CHOICES, now=NOW)
def test_event_order_does_not_matter(data, t, now):
    events = a_case(data.draw)
    shuffled = data.draw(st.permutations(events))
    assert compute_clock(shuffled, t, CAL, now) == compute_clock(events, t, CAL, now)


@PROPS
@given(data=st.data(), t=TERM_CHOICES, now=NOW)
def test_adding_a_suspension_never_makes_a_due_earlier(data, t, now):
    accepted = ORIGIN + timedelta(minutes=data.draw(st.integers(0, 20 * 24 * 60)))
    base = [ClockEvent("submitted", accepted - timedelta(hours=1), {}), ClockEvent("accepted", accepted, {})]
    base += data.draw(st.lists(an_event(st.sampled_from(
        ["step_completed", "extended", "fee_charged", "decided", "correction_requested", "correction_completed"])),
        max_size=5))
    start = accepted + timedelta(minutes=data.draw(st.integers(-600, 60 * 24 * 60)))
    added = [ClockEvent("suspended", start, {"reason": "hearing", "workdays": data.draw(st.integers(0, 8))})]
    if data.draw(st.booleans()):
        added.append(ClockEvent("resumed", start + timedelta(minutes=data.draw(st.integers(0, 30 * 24 * 60))), {}))
    without = compute_clock(base, t, CAL, now)
    with_ = compute_clock(base + added, t, CAL, now)
    if without.promised_due is None:  # closed before acceptance (a generated decision came first)
        assert with_.promised_due is None
        return
    assert with_.promised_due >= without.promised_due
    assert with_.statutory_due >= without.statutory_due
    for a, b in zip(with_.steps, without.steps, strict=True):
        if a.started_at == b.started_at and a.due and b.due:
            assert a.due >= b.due


@PROPS
@given(data=st.data(), t=TERM_CHOICES, now=NOW, later=st.integers(0, 30 * 24 * 60))
def test_elapsed_is_non_negative_and_monotonic_in_now(data, t, now, later):
    events = a_case(data.draw)
    a = compute_clock(events, t, CAL, now)
    b = compute_clock(events, t, CAL, now + timedelta(minutes=later))
    assert 0 <= a.elapsed_seconds <= b.elapsed_seconds
    assert a.suspended_seconds >= 0 and a.elapsed_days >= 0


@PROPS
@given(data=st.data(), t=TERM_CHOICES, now=NOW)
def test_next_check_is_after_now_and_deadlines_are_sane(data, t, now):
    c = compute_clock(a_case(data.draw), t, CAL, now)
    assert c.next_check_at is None or c.next_check_at > now
    # Under the default policy the clock's own transitions coincide with deadlines; a closed case needs none.
    expected = None if c.closed_at is not None else min((d.at for d in c.deadlines if d.at > now), default=None)
    assert c.next_check_at == expected
    keys = [(d.rule, d.level, d.step) for d in c.deadlines]
    assert len(keys) == len(set(keys))
    assert c.state in {"normal", "warning", "yellow", "red", "suspended", "done"}
    if c.closed_at is not None:
        assert all(d.at <= c.closed_at for d in c.deadlines)
