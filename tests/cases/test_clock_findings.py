"""Regression tests for clock defects found while integrating the write path (domain-rules §2–3)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from xiaoneng.cases.clock import ClockEvent, Terms, compute_clock
from xiaoneng.workcal.worktime import WorkCalendar, official_schedule

SH = ZoneInfo("Asia/Shanghai")
_h, _w, _y = official_schedule([2025])
CAL = WorkCalendar(_h, _w, confirmed_years=_y)


def t(h, m):
    return datetime(2025, 9, 22, h, m, tzinfo=SH)


def test_withdrawn_case_keeps_no_live_pre_acceptance_deadline():
    """A correction notice reported (clock skew) a minute before the submission, then completed and the
    application withdrawn: the notice answers nothing (the round starts at ``submitted``), only one
    pre-acceptance round is ever open, and the withdrawal closes it — the withdrawn case keeps no deadline after
    its close and no ``next_check_at`` (domain-rules §3: a withdrawn case raises no card that falls due after it).
    Also found by test_clock.py::test_next_check_is_after_now_and_deadlines_are_sane.
    """
    events = [
        ClockEvent("correction_requested", t(8, 0), {"materials": ["申请书"]}),
        ClockEvent("submitted", t(8, 1), {"channel": "online"}),
        ClockEvent("correction_completed", t(8, 1), {}),
        ClockEvent("withdrawn", t(8, 1), {"reason": "撤回"}),
    ]
    clock = compute_clock(events, Terms(), CAL, t(9, 0))
    assert clock.status == "withdrawn" and clock.closed_at == t(8, 1)
    assert clock.state == "done"
    assert [d for d in clock.deadlines if d.at > clock.closed_at] == []
    assert clock.next_check_at is None


def test_correction_notice_before_submission_answers_nothing():
    """The early notice neither pauses the case nor ends the round that starts at ``submitted``."""
    events = [
        ClockEvent("correction_requested", t(8, 0), {}),
        ClockEvent("submitted", t(8, 1), {"channel": "online"}),
    ]
    clock = compute_clock(events, Terms(), CAL, t(9, 0))
    without = compute_clock(events[1:], Terms(), CAL, t(9, 0))
    assert clock.status == "submitted" and clock.state != "suspended"
    assert clock.pre_acceptance_due == without.pre_acceptance_due
    assert clock.deadlines == without.deadlines
    assert clock.next_check_at == without.next_check_at is not None


def test_closing_ends_every_open_interval():
    """Withdrawn during a special procedure and a correction in review: nothing stays live after the close."""
    events = [
        ClockEvent("submitted", t(8, 0), {}),
        ClockEvent("accepted", t(9, 0), {}),
        ClockEvent("suspended", t(10, 0), {"reason": "hearing", "workdays": 5}),
        ClockEvent("correction_requested", t(10, 30), {}),
        ClockEvent("withdrawn", t(11, 0), {}),
    ]
    clock = compute_clock(events, Terms(), CAL, datetime(2025, 12, 1, 9, 0, tzinfo=SH))
    assert clock.status == "withdrawn" and clock.closed_at == t(11, 0)
    assert all(sp.ended_at == t(11, 0) for sp in clock.specials)
    assert clock.paused_since is None
    assert all(d.at <= clock.closed_at for d in clock.deadlines)
    assert clock.next_check_at is None
