"""Time rules through the case engine and the sweep: every rule at its boundary (one second before / at the
due instant), across a holiday, with a suspension; withdrawn cases; late records; idempotence."""

from datetime import date, timedelta

import pytest

from tests.supervision.conftest import accepted_case, at, ev, record
from xiaoneng.cases.models import Case
from xiaoneng.supervision.models import Alert, AlertDailyStat
from xiaoneng.supervision.services import sweep

S = timedelta(seconds=1)


def cards(case, rule=None):
    qs = Alert.objects.filter(subject_type="case", subject_id=case.pk)
    if rule:
        qs = qs.filter(rule=rule)
    return {(a.rule, a.level, a.step): a.due_at for a in qs}


def deadline_at(case, rule, level, step=None):
    case.refresh_from_db()
    for d in case.deadlines:
        if d["rule"] == rule and d["level"] == level and (d["step"] or None) == step:
            from datetime import datetime

            return datetime.fromisoformat(d["at"])
    raise AssertionError(f"no deadline {rule}/{level} in {case.deadlines}")


def online_case(county, no, when):
    record([ev(no, "submitted", when, county=county,
               payload={"applicant": {"type": "person", "name": "李四", "id_no": "330122199001011234"},
                        "channel": "online"})], received_at=when + S)
    return Case.objects.get(case_no=no)


def suspended_case(county, no):
    c = accepted_case(county, no, at(2026, 3, 2, 10))
    record([ev(no, "suspended", at(2026, 3, 4, 9), payload={"reason": "inspection", "workdays": 3})],
           received_at=at(2026, 3, 4, 9, 1))
    return c


def decided_case(county, no):
    c = accepted_case(county, no, at(2026, 3, 2, 10))
    record([ev(no, "decided", at(2026, 3, 5, 10), payload={"result": "approved", "document_no": "X1"})],
           received_at=at(2026, 3, 5, 10, 1))
    return c


# (builder, rule, level, step, expected due instant)
TABLE = [
    ("accepted", "case_limit", "warning", None, at(2026, 3, 13, 8, 30)),  # 2 working days before 16 Mar 17:30
    ("accepted", "case_limit", "yellow", None, at(2026, 3, 16, 17, 30, 1)),  # promised 10 wd passed
    ("accepted", "case_limit", "red", None, at(2026, 3, 30, 17, 30, 1)),  # statutory 20 wd passed
    ("accepted", "step_limit", "yellow", "accept", at(2026, 3, 3, 10, 0, 1)),  # 1 wd step from 10:00 acceptance
    ("suspended", "special_procedure", "warning", None, at(2026, 3, 5, 9)),  # 2 wd before its end
    ("suspended", "special_procedure", "yellow", None, at(2026, 3, 9, 9, 0, 1)),  # 3 wd requested, passed
    ("suspended", "special_procedure", "red", None, at(2026, 3, 10, 9, 0, 1)),  # 1 wd past its end
    ("online", "pre_acceptance", "warning", None, at(2026, 3, 4, 17, 30, 1)),  # promised 2 wd passed
    ("online", "pre_acceptance", "yellow", None, at(2026, 3, 5, 17, 30, 1)),  # 3 wd
    ("online", "pre_acceptance", "red", None, at(2026, 3, 9, 17, 30, 1)),  # 5 wd (deemed accepted)
    ("decided", "delivery", "yellow", None, at(2026, 3, 10, 17, 30, 1)),  # promised 3 wd after decision
    ("decided", "delivery", "red", None, at(2026, 3, 19, 17, 30, 1)),  # 10 wd
]


def build(kind, county, no):
    if kind == "accepted":
        return accepted_case(county, no, at(2026, 3, 2, 9, 59))
    if kind == "suspended":
        return suspended_case(county, no)
    if kind == "online":
        return online_case(county, no, at(2026, 3, 2, 10))
    return decided_case(county, no)


@pytest.mark.parametrize("kind, rule, level, step, due", TABLE, ids=[f"{r}-{lv}" for _, r, lv, _s, _d in TABLE])
def test_rule_boundary(county, kind, rule, level, step, due):
    case = build(kind, county, f"B-{rule}-{level}")
    assert deadline_at(case, rule, level, step) == due
    sweep(now=due - S)
    assert (rule, level, step or "") not in cards(case)
    sweep(now=due)
    got = cards(case)
    assert got[(rule, level, step or "")] == due
    alert = Alert.objects.get(subject_id=case.pk, rule=rule, level=level)
    assert alert.status == "issued" and alert.case_id == case.pk and alert.department_id == case.department_id
    assert alert.raised_at == due and alert.message
    case.refresh_from_db()
    assert case.next_check_at is None or case.next_check_at > due


def test_clock_state_follows_the_sweep(county):
    case = accepted_case(county, "CS-1", at(2026, 3, 2, 9, 59))
    sweep(now=at(2026, 3, 13, 8, 30))
    case.refresh_from_db()
    assert case.clock_state == "warning"
    sweep(now=at(2026, 3, 31))
    case.refresh_from_db()
    assert case.clock_state == "red"
    assert case.next_check_at is None


def test_deemed_acceptance_rederives_the_case(county):
    case = online_case(county, "DEEM-1", at(2026, 3, 2, 10))
    sweep(now=at(2026, 3, 9, 17, 30, 1))
    case.refresh_from_db()
    assert case.status == "accepted" and case.accepted_at == at(2026, 3, 2, 10)
    assert any(d["rule"] == "case_limit" for d in case.deadlines)
    assert case.next_check_at is not None


def test_across_a_holiday(county):
    from xiaoneng.workcal.services import set_override

    set_override(date(2026, 3, 10), "holiday", "地方停工日")
    case = accepted_case(county, "HOL-1", at(2026, 3, 2, 9, 59))
    due = at(2026, 3, 17, 17, 30, 1)  # one working day later than without the holiday
    assert deadline_at(case, "case_limit", "yellow") == due
    sweep(now=at(2026, 3, 16, 17, 30, 1))
    assert ("case_limit", "yellow", "") not in cards(case)
    sweep(now=due - S)
    assert ("case_limit", "yellow", "") not in cards(case)
    sweep(now=due)
    assert cards(case)[("case_limit", "yellow", "")] == due


def test_with_a_suspension(county):
    case = accepted_case(county, "SUS-1", at(2026, 3, 2, 9, 59))
    record([ev("SUS-1", "suspended", at(2026, 3, 4, 9), payload={"reason": "inspection", "workdays": 3}),
            ev("SUS-1", "resumed", at(2026, 3, 5, 9), payload={"result": "合格"})],
           received_at=at(2026, 3, 5, 9, 1))
    due = at(2026, 3, 17, 17, 30, 1)  # one working day (the suspension) later
    assert deadline_at(case, "case_limit", "yellow") == due
    sweep(now=at(2026, 3, 16, 17, 30, 1))
    assert ("case_limit", "yellow", "") not in cards(case)
    sweep(now=due)
    assert cards(case)[("case_limit", "yellow", "")] == due


def test_open_suspension_holds_case_cards(county):
    case = suspended_case(county, "SUS-2")
    sweep(now=at(2026, 3, 20))
    got = cards(case)
    assert ("case_limit", "yellow", "") not in got  # the case clock is paused
    assert {("special_procedure", lv, "") for lv in ("warning", "yellow", "red")} <= set(got)


@pytest.mark.parametrize("withdrawn_on, expected", [
    (at(2026, 3, 12, 16), set()),  # before the warning: no card
    (at(2026, 3, 13, 8, 29, 59), set()),  # one second before the warning
    (at(2026, 3, 13, 8, 30), {"warning"}),  # at the warning instant
    (at(2026, 3, 17, 9), {"warning", "yellow"}),
])
def test_withdrawn_cases_stop(county, withdrawn_on, expected):
    case = accepted_case(county, "WD-1", at(2026, 3, 2, 9, 59))
    record([ev("WD-1", "withdrawn", withdrawn_on, payload={"reason": "申请人撤回"})], received_at=withdrawn_on + S)
    sweep(now=at(2026, 6, 1))
    assert {lv for (r, lv, _s) in cards(case) if r == "case_limit"} == expected


def test_returned_case_stops(county):
    case = accepted_case(county, "RT-1", at(2026, 3, 2, 9, 59))
    record([ev("RT-1", "returned", at(2026, 3, 12), payload={"reason": "退件"})], received_at=at(2026, 3, 12, 9, 1))
    sweep(now=at(2026, 6, 1))
    assert not cards(case, "case_limit")
    case.refresh_from_db()
    assert case.next_check_at is None


def test_late_record_raises_every_passed_level_at_once(county):
    """A historical record: the cards are raised when the events arrive, each stamped with its own due."""
    no = "LATE-1"
    record([ev(no, "submitted", at(2026, 3, 2, 9, 58), county=county),
            ev(no, "accepted", at(2026, 3, 2, 9, 59))], received_at=at(2026, 4, 30, 10))
    case = Case.objects.get(case_no=no)
    got = cards(case)
    assert got[("case_limit", "warning", "")] == at(2026, 3, 13, 8, 30)
    assert got[("case_limit", "yellow", "")] == at(2026, 3, 16, 17, 30, 1)
    assert got[("case_limit", "red", "")] == at(2026, 3, 30, 17, 30, 1)
    assert ("late_report", "warning", "") in got


def test_decided_after_its_dues_carries_its_cards_without_a_sweep(county):
    case = accepted_case(county, "DEC-1", at(2026, 3, 2, 9, 59))
    record([ev("DEC-1", "decided", at(2026, 3, 20, 10), payload={"result": "approved"})],
           received_at=at(2026, 3, 20, 10, 1))
    got = cards(case, "case_limit")
    assert set(got) == {("case_limit", "warning", ""), ("case_limit", "yellow", "")}
    sweep(now=at(2026, 6, 1))
    assert set(cards(case, "case_limit")) == set(got)  # red never fell due: decided before it


def test_sweep_is_idempotent_and_counts_daily_stats_once(county):
    for i in range(3):
        accepted_case(county, f"ID-{i}", at(2026, 3, 2, 9, 59))
    first = sweep(now=at(2026, 3, 17))
    assert first.processed == 3
    n = Alert.objects.count()
    assert n >= 9
    second = sweep(now=at(2026, 3, 17))
    assert second.processed == 0 and second.alerts == 0
    assert Alert.objects.count() == n
    # forcing a re-check of everything (as a crashed worker would leave it) raises nothing new
    Case.objects.update(next_check_at=at(2026, 3, 1))
    third = sweep(now=at(2026, 3, 17))
    assert third.processed == 3 and third.alerts == 0
    assert Alert.objects.count() == n
    assert sum(AlertDailyStat.objects.values_list("count", flat=True)) == n


def test_nothing_due_touches_nothing(county, django_assert_max_num_queries):
    """One index range query per registered subject type (case, order, consultation, complaint, rating), each
    in its own short transaction on PostgreSQL (begin / select / commit)."""
    accepted_case(county, "ND-1", at(2026, 3, 2, 9, 59))
    with django_assert_max_num_queries(16):
        result = sweep(now=at(2026, 3, 2, 10))
    assert result.processed == 0


def test_limit_bounds_the_work(county):
    for i in range(4):
        accepted_case(county, f"LIM-{i}", at(2026, 3, 2, 9, 59))
    assert sweep(now=at(2026, 3, 17), limit=3).processed == 3
    assert sweep(now=at(2026, 3, 17)).processed == 1


def test_command(county, capsys):
    import json

    from django.core.management import call_command

    accepted_case(county, "CMD-1", at(2026, 3, 2, 9, 59))
    call_command("supervise", "--once", "--now", "2026-03-17T09:00", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["processed"] == 1 and out["raised"]["case_limit/yellow"] == 1
    call_command("supervise", "--once", "--now", "2026-03-17T09:00")
    assert "0 subjects" in capsys.readouterr().out


def test_feedback_subjects_are_swept(county):
    """Registered feedback subjects (here a consultation, reply due in 3 working days) are swept like cases."""
    from xiaoneng.feedback.services import submit_consultation

    c = submit_consultation(department=county.a.department, question="营业执照怎么办？", asker_name="王五",
                            now=at(2026, 3, 2, 10))
    assert c.next_check_at is not None
    result = sweep(now=at(2026, 3, 20))
    assert result.subjects.get("consultation") == 1
    got = Alert.objects.filter(subject_type="consultation", subject_id=c.pk)
    assert {a.level for a in got} == {"warning", "yellow", "red"}
    assert {a.subject_no for a in got} == {c.receipt_no} and {a.department_id for a in got} == {
        county.a.department.pk}
    c.refresh_from_db()
    assert c.next_check_at is None
    assert sweep(now=at(2026, 3, 20)).alerts == 0


def test_periodic_jobs_are_registered_and_idempotent(county, settings):
    from xiaoneng.core import periodic

    jobs = {j.name: j for j in periodic.jobs()}
    assert {"supervision.sweep", "supervision.escalate", "supervision.outbound", "supervision.wall_snapshot"} <= set(
        jobs)
    assert jobs["supervision.sweep"].interval_seconds == settings.XN_SWEEP_INTERVAL_SECONDS
    accepted_case(county, "JOB-1", at(2026, 3, 2, 9, 59))
    for _ in range(2):
        for name in ("supervision.sweep", "supervision.escalate", "supervision.outbound", "supervision.wall_snapshot"):
            jobs[name].func()
    assert Alert.objects.filter(subject_no="JOB-1", rule="case_limit").count() == 3


def test_deemed_acceptance_after_downtime_raises_the_passed_case_cards(county):
    case = online_case(county, "DEEM-2", at(2026, 3, 2, 10))
    result = sweep(now=at(2026, 4, 30))  # no sweep for two months
    case.refresh_from_db()
    assert case.status == "accepted" and result.rederived == 1
    got = cards(case)
    assert {("pre_acceptance", lv, "") for lv in ("warning", "yellow", "red")} <= set(got)
    # deemed accepted on the day of receipt: promised (10 wd) and statutory (20 wd) dues passed long ago
    assert got[("case_limit", "yellow", "")] == at(2026, 3, 16, 17, 30, 1)
    assert got[("case_limit", "red", "")] == at(2026, 3, 30, 17, 30, 1)


def test_sweep_messages_match_the_templates(county):
    """The sweep renders card text in SQL on PostgreSQL: it must read exactly as ``messages.render``, with the
    item's name and the step's name (not its code)."""
    from xiaoneng.cases.models import CaseStep
    from xiaoneng.supervision import messages

    case = accepted_case(county, "MSG-1", at(2026, 3, 2, 9, 59))
    sweep(now=at(2026, 3, 17))
    got = {(a.rule, a.level): a for a in Alert.objects.filter(subject_id=case.pk, rule__in=["case_limit",
                                                                                           "step_limit"])}
    item = county.a.version.item.name
    warning = got[("case_limit", "warning")]
    assert warning.message == messages.render("case_limit", "warning", no="MSG-1", item=item, due=warning.due_at)
    assert "2026-03-13 08:30" in warning.message
    step = got[("step_limit", "yellow")]
    name = CaseStep.objects.get(case=case, code=step.step).name
    assert name != step.step
    assert step.message == messages.render("step_limit", "yellow", no="MSG-1", item=item, step=name, due=step.due_at)


def test_pg_formats_follow_the_templates():
    from xiaoneng.supervision import messages

    formats = messages.pg_formats()
    assert formats["case_limit/red"] == "办件编号为%1$s的%2$s已超过法定时限，请速办理"
    assert formats["step_limit/warning"] == "办件编号为%1$s的%2$s“%3$s”环节将于%4$s到期，请抓紧办理"
    assert formats["yellow"] == "%1$s触发%5$s黄牌"  # a rule without a template


def test_sweep_applies_combined_overrides(county):
    """A department override (issue mode) and an item override (any field) of one rule combine for a case of
    that department and item; the other department keeps the rule's own setting."""
    from xiaoneng.supervision.models import RuleConfig, RuleOverride

    rule = RuleConfig.objects.get(code="case_limit")
    RuleOverride.objects.create(rule=rule, department=county.a.department, issue_mode="confirm")
    RuleOverride.objects.create(rule=rule, item=county.a.version.item, enabled=True)
    a = accepted_case(county, "OVR-A", at(2026, 3, 2, 9, 59))
    b = accepted_case(county, "OVR-B", at(2026, 3, 2, 9, 59), dept="DB")
    sweep(now=at(2026, 3, 17))
    status = {(c.case_no, a_.level): a_.status for c in (a, b)
              for a_ in Alert.objects.filter(subject_id=c.pk, rule="case_limit")}
    assert status == {("OVR-A", "warning"): "pending", ("OVR-A", "yellow"): "pending",
                      ("OVR-B", "warning"): "issued", ("OVR-B", "yellow"): "issued"}
    assert Alert.objects.get(subject_id=a.pk, rule="case_limit", level="yellow").next_escalation_at is None


def test_rule_switched_off_after_the_deadlines_were_stored(county):
    from xiaoneng.supervision.models import RuleConfig, RuleOverride

    case = accepted_case(county, "OFF-2", at(2026, 3, 2, 9, 59))
    RuleOverride.objects.create(rule=RuleConfig.objects.get(code="case_limit"), department=county.a.department,
                                enabled=False)
    result = sweep(now=at(2026, 3, 17))
    assert result.processed == 1
    assert not cards(case, "case_limit") and cards(case, "step_limit")
    case.refresh_from_db()
    assert case.next_check_at == deadline_at(case, "case_limit", "red")  # still moved past what has passed
