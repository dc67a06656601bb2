"""A per-department / per-item rule override reaches the clock of that department's (item's) cases only."""

from tests.supervision.conftest import accepted_case, at
from xiaoneng.supervision.models import RuleConfig, RuleOverride


def _levels(case, rule="case_limit"):
    return {d["level"]: d["at"] for d in case.deadlines if d["rule"] == rule}


def test_department_override_moves_only_its_cases_thresholds(county):
    RuleOverride.objects.create(rule=RuleConfig.objects.get(code="case_limit"), department=county.b.department,
                                thresholds={"warning": None, "yellow": {"anchor": "promised", "days": 1}})
    a = accepted_case(county, "OV-A", at(2026, 3, 2, 9, 59), dept="DA")
    b = accepted_case(county, "OV-B", at(2026, 3, 2, 9, 59), dept="DB")
    assert a.promised_due == b.promised_due  # same terms, same acceptance
    assert set(_levels(a)) == {"warning", "yellow", "red"}
    assert set(_levels(b)) == {"yellow", "red"}  # warning switched off for department B
    assert _levels(b)["yellow"] > _levels(a)["yellow"]  # one working day after the promised due
    assert _levels(b)["red"] == _levels(a)["red"]


def test_item_override_switches_the_rule_off_for_that_item(county):
    RuleOverride.objects.create(rule=RuleConfig.objects.get(code="case_limit"), item=county.a.version.item,
                                enabled=False)
    a = accepted_case(county, "OV-I", at(2026, 3, 2, 9, 59), dept="DA")
    b = accepted_case(county, "OV-J", at(2026, 3, 2, 9, 59), dept="DB")
    assert _levels(a) == {} and set(_levels(b)) == {"warning", "yellow", "red"}
