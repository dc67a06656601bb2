"""Rule configuration: the seeded catalogue, the case engine's policy provider, overrides, irregularities on
recorded events."""

import pytest

from tests.supervision.conftest import accepted_case, at, ev, record
from xiaoneng.cases.clock import DeadlinePolicy, Threshold
from xiaoneng.cases.policy import current_policy
from xiaoneng.supervision import config
from xiaoneng.supervision.catalogue import ALL_RULES
from xiaoneng.supervision.models import Alert, RuleConfig, RuleOverride


def test_every_rule_is_seeded(db):
    rows = {r.code: r for r in RuleConfig.objects.all()}
    assert set(rows) == set(ALL_RULES)
    assert rows["case_limit"].thresholds["red"] == {"anchor": "statutory", "days": 0}
    assert rows["illegal_fee"].default_level == "red" and rows["late_report"].thresholds == {"hours": 24}
    assert rows["no_separation"].name == "不分离"
    assert all(r.escalation_days == [1, 2] for r in rows.values())


def test_default_policy_equals_the_table(db):
    assert current_policy() == DeadlinePolicy()


def test_edited_rule_reaches_the_case_clock(county):
    rule = RuleConfig.objects.get(code="case_limit")
    rule.thresholds["yellow"] = {"anchor": "promised", "days": 1}
    rule.save()
    assert current_policy().case_limit.yellow == Threshold("promised", 1)
    case = accepted_case(county, "CFG-1", at(2026, 3, 2, 9, 59))
    yellow = [d for d in case.deadlines if d["rule"] == "case_limit" and d["level"] == "yellow"]
    assert yellow[0]["at"].startswith("2026-03-17T17:30:01")


def test_disabled_rule_raises_nothing(county):
    rule = RuleConfig.objects.get(code="step_limit")
    rule.enabled = False
    rule.save()
    case = accepted_case(county, "CFG-2", at(2026, 3, 2, 9, 59))
    assert not [d for d in case.deadlines if d["rule"] == "step_limit"]


def test_overrides_by_department_and_item(county):
    rule = RuleConfig.objects.get(code="illegal_fee")
    RuleOverride.objects.create(rule=rule, department=county.a.department, issue_mode="confirm")
    RuleOverride.objects.create(rule=rule, item=county.a.version.item, enabled=False)
    assert config.setting("illegal_fee", county.a.department.pk).issue_mode == "confirm"
    assert config.setting("illegal_fee", county.b.department.pk).issue_mode == "auto"
    assert not config.setting("illegal_fee", county.a.department.pk, county.a.version.item_id).enabled
    RuleOverride.objects.create(rule=RuleConfig.objects.get(code="case_limit"), department=county.b.department,
                                thresholds={"warning": None, "yellow": {"anchor": "promised", "days": 2}})
    assert config.thresholds("case_limit", county.b.department.pk) == {
        "yellow": ("promised", 2.0), "red": ("statutory", 0.0)}
    policy = config.deadline_policy(county.b.department.pk)
    assert policy.case_limit.warning is None and policy.case_limit.yellow == Threshold("promised", 2)


def test_irregularities_on_recorded_events(county):
    accepted_case(county, "IRR-1", at(2026, 3, 2, 9, 59))
    record([ev("IRR-1", "fee_charged", at(2026, 3, 3, 10), payload={"fee_code": "F01", "amount": "20.00"}),
            ev("IRR-1", "suspended", at(2026, 3, 3, 11), payload={"reason": "other", "workdays": 2}),
            ev("IRR-1", "extended", at(2026, 3, 3, 12), payload={"workdays": 5})],
           received_at=at(2026, 3, 3, 12, 1))
    got = {(a.rule, a.level): a for a in Alert.objects.filter(case__case_no="IRR-1")}
    assert ("illegal_fee", "red") in got and got[("illegal_fee", "red")].status == "issued"
    assert "20.00" in got[("illegal_fee", "red")].message
    assert ("special_reason", "warning") in got and ("improper_extension", "yellow") in got
    assert got[("illegal_fee", "red")].due_at == at(2026, 3, 3, 10)
    # re-recording more events does not duplicate
    record([ev("IRR-1", "resumed", at(2026, 3, 4, 9), payload={"result": "ok"})], received_at=at(2026, 3, 4, 9, 1))
    assert Alert.objects.filter(case__case_no="IRR-1", rule="illegal_fee").count() == 1


def test_off_system_waits_for_confirmation(county):
    no = "OFF-1"
    when = at(2026, 3, 2, 9)
    record([ev(no, "submitted", when, county=county), ev(no, "accepted", when.replace(minute=1)),
            ev(no, "decided", when.replace(minute=5), payload={"result": "approved"})],
           received_at=at(2026, 3, 9, 9))
    alert = Alert.objects.get(case__case_no=no, rule="off_system")
    assert alert.status == "pending" and alert.next_escalation_at is None


def test_provider_accepts_a_case_argument(county):
    rule = RuleConfig.objects.get(code="case_limit")
    RuleOverride.objects.create(rule=rule, item=county.a.version.item, thresholds={"red": None})
    case = accepted_case(county, "CFG-3", at(2026, 3, 2, 9, 59))
    assert config.policy_provider(case).case_limit.red is None
    assert config.policy_provider().case_limit.red is not None


@pytest.mark.parametrize("code", ["case_limit", "late_report", "order_reply"])
def test_rule_names_and_messages(db, code):
    from xiaoneng.supervision import messages

    text = messages.render(code, "yellow" if code != "late_report" else "warning", no="N1", item="开办",
                           detail="x")
    assert "N1" in text
