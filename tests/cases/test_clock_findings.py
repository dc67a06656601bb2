"""Clock defects found while integrating the write path (clock.py belongs to the clock engineer).

Each test states the expected behaviour from domain-rules §2–3 and fails until clock.py is fixed.
"""

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
    application withdrawn: the fold opens a pre-acceptance round at ``submitted`` while the status is still
    ``correction``, ``correction_completed`` appends a second round without closing the first, and ``close``
    only closes the last one — so the withdrawn case keeps pre_acceptance warning/yellow/red deadlines after its
    close (and a ``next_check_at``), i.e. cards on a withdrawn case (domain-rules §3: a withdrawn case raises no
    card that falls due after it). Also found by test_clock.py::test_next_check_is_after_now_and_deadlines_are_sane.
    """
    events = [
        ClockEvent("correction_requested", t(8, 0), {"materials": ["申请书"]}),
        ClockEvent("submitted", t(8, 1), {"channel": "online"}),
        ClockEvent("correction_completed", t(8, 1), {}),
        ClockEvent("withdrawn", t(8, 1), {"reason": "撤回"}),
    ]
    clock = compute_clock(events, Terms(), CAL, t(9, 0))
    assert clock.status == "withdrawn" and clock.closed_at == t(8, 1)
    assert [d for d in clock.deadlines if d.at > clock.closed_at] == []
    assert clock.next_check_at is None
