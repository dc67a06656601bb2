"""Pure deadline computation (feedback.deadlines) across the 2026 National Day holiday, at ±1 second."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.feedback import deadlines as dl
from xiaoneng.workcal.worktime import WorkCalendar, official_schedule

from .conftest import SH, at

S = timedelta(seconds=1)


@pytest.fixture(scope="module")
def cal():
    holidays, workdays, years = official_schedule([2026])
    return WorkCalendar(holidays, workdays, confirmed_years=years)


def levels(projection, now):
    return {(d.step, d.level) for d in projection.deadlines if d.at <= now}


def test_consultation_due_skips_national_day(cal):
    # Received Wed 30 Sep 2026; 1–7 Oct are holidays, Sat 10 Oct is a working day (调休).
    subjects = dl.consultation_subjects(cal, at(2026, 9, 30, 9), None)
    assert subjects[0].due == at(2026, 10, 10, 17, 30)  # 8 Oct, 9 Oct, 10 Oct (Sat, worked)
    p = dl.project(cal, subjects, at(2026, 9, 30, 9))
    got = {d.level: d.at for d in p.deadlines}
    # Two working days before the due; a boundary lands on the next period start (subtract_working_seconds).
    assert got["warning"] == at(2026, 10, 9, 8, 30)
    assert got["yellow"] == at(2026, 10, 12, 17, 30) + S  # one working day overdue, +1 s
    assert got["red"] == at(2026, 10, 13, 17, 30) + S
    assert p.next_check_at == got["warning"]
    assert p.state == "normal"


@pytest.mark.parametrize("offset, expected", [(-1, "warning"), (0, "yellow"), (1, "yellow")])
def test_yellow_at_one_second(cal, offset, expected):
    subjects = dl.consultation_subjects(cal, at(2026, 11, 2, 9), None)  # Mon → due Thu 5 Nov 17:30
    yellow = at(2026, 11, 6, 17, 30) + S
    now = yellow + timedelta(seconds=offset)
    assert dl.project(cal, subjects, now).state == expected


def test_complaint_accept_and_resolve_steps(cal):
    received = at(2026, 11, 2, 9)  # Mon
    subjects = dl.complaint_subjects(cal, received, None, None, None)
    assert subjects[0].due == at(2026, 11, 9, 17, 30)  # 5 wd: Tue..Mon
    accepted = at(2026, 11, 4, 10)
    subjects = dl.complaint_subjects(cal, received, accepted, None, None)
    assert [s.step for s in subjects] == ["accept", "resolve"]
    assert subjects[1].due == at(2026, 11, 25, 17, 30)  # 15 wd after 4 Nov
    p = dl.project(cal, subjects, accepted)
    assert {(d.step, d.level) for d in p.deadlines} == {("resolve", "warning"), ("resolve", "yellow"),
                                                        ("resolve", "red")}


def test_late_close_keeps_passed_thresholds_only(cal):
    received = at(2026, 11, 2, 9)
    yellow = at(2026, 11, 10, 17, 30) + S  # accept due Mon 9 Nov; +1 wd +1 s
    for closed, expected in ((yellow - S, {"warning"}), (yellow, {"warning", "yellow"})):
        p = dl.project(cal, dl.complaint_subjects(cal, received, closed, None, None), closed)
        assert {d.level for d in p.deadlines if d.step == "accept"} == expected
    # Closed after the yellow threshold with nothing in the future: next check right away (raise the cards).
    p = dl.project(cal, dl.complaint_subjects(cal, received, None, yellow, None), yellow)
    assert p.next_check_at == yellow and p.state == "done"


def test_clean_close_has_no_deadlines(cal):
    received = at(2026, 11, 2, 9)
    p = dl.project(cal, dl.consultation_subjects(cal, received, received + timedelta(hours=1)), received)
    assert p.deadlines == () and p.next_check_at is None and p.state == "done"


def test_rectification_thresholds(cal):
    rated = at(2026, 11, 2, 9)
    subjects = dl.rectification_subjects(cal, rated, True, None, None)
    due = at(2026, 11, 9, 17, 30)
    assert subjects[0].due == due
    got = {d.level: d.at for d in dl.project(cal, subjects, rated).deadlines}
    assert got == {"warning": at(2026, 11, 9, 8, 30), "yellow": due + S, "red": at(2026, 11, 12, 17, 30) + S}
    assert dl.project(cal, subjects, due).state == "warning"
    assert dl.project(cal, subjects, due + S).state == "yellow"
    assert dl.project(cal, subjects, at(2026, 11, 12, 17, 30)).state == "yellow"
    assert dl.project(cal, subjects, at(2026, 11, 12, 17, 30) + S).state == "red"
    assert dl.rectification_subjects(cal, rated, False, None, None) == []


def test_removed_before_any_threshold_raises_nothing(cal):
    rated = at(2026, 11, 2, 9)
    p = dl.project(cal, dl.rectification_subjects(cal, rated, True, None, at(2026, 11, 3, 9)), at(2026, 11, 3, 9))
    assert p.deadlines == () and p.next_check_at is None


def test_warning_before_start_is_dropped(cal):
    # A 1-day policy: the warning (2 wd before the due) would fall before receipt → not live.
    subjects = dl.consultation_subjects(cal, at(2026, 11, 2, 9), None, days=1)
    assert "warning" not in {d.level for d in dl.project(cal, subjects, at(2026, 11, 2, 9)).deadlines}
    assert date(2026, 11, 3) == subjects[0].due.date()


instants = st.datetimes(min_value=datetime(2026, 1, 5), max_value=datetime(2026, 12, 20)).map(
    lambda d: d.replace(tzinfo=SH))


@given(received=instants, delay=st.integers(min_value=0, max_value=40 * 86400), probe=st.integers(0, 40 * 86400))
def test_properties(received, delay, probe):
    holidays, workdays, years = official_schedule([2026, 2027])
    cal = WorkCalendar(holidays, workdays, confirmed_years=years)
    closed = received + timedelta(seconds=delay)
    now = received + timedelta(seconds=probe)
    for rule_subjects in (
        lambda end: dl.consultation_subjects(cal, received, end),
        lambda end: dl.complaint_subjects(cal, received, None, end, None),
        lambda end: dl.rectification_subjects(cal, received, True, end, None),
    ):
        open_p = dl.project(cal, rule_subjects(None), now)
        closed_p = dl.project(cal, rule_subjects(closed), max(now, closed))
        ats = {d.level: d.at for d in open_p.deadlines}
        # Levels are strictly ordered in time and all after receipt.
        ordered = [ats[lv] for lv in ("warning", "yellow", "red") if lv in ats]
        assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
        assert all(t > received for t in ordered)
        # Closing keeps exactly the thresholds passed by the close.
        assert {(d.level, d.at) for d in closed_p.deadlines} == {(lv, t) for lv, t in ats.items() if t <= closed}
        assert closed_p.state == "done"
        # The open state is the highest level passed; next_check_at is the next threshold.
        passed = [lv for lv, t in ats.items() if t <= now]
        assert open_p.state == (max(passed, key=("warning", "yellow", "red").index) if passed else "normal")
        future = [t for t in ats.values() if t > now]
        assert open_p.next_check_at == (min(future) if future else (now if ats else None))
