"""How supervision plugs into the case engine: the thresholds of a case's department and item reach its clock;
irregularities are evaluated from the event histories the engine hands to ``events_recorded``."""

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


def test_irregularities_same_from_the_signal_histories_and_from_the_database(county):
    """The receiver uses the histories the case engine hands over; reading the events back gives the same."""
    from tests.supervision.conftest import ev, record
    from xiaoneng.cases.models import Case
    from xiaoneng.supervision.catalogue import IRREGULARITY_RULES
    from xiaoneng.supervision.models import Alert
    from xiaoneng.supervision.services import evaluate_irregularities

    accepted_case(county, "IRR-H", at(2026, 3, 2, 9, 59))
    record([ev("IRR-H", "fee_charged", at(2026, 3, 3, 10), payload={"fee_code": "NOPE", "amount": "5.00"}),
            ev("IRR-H", "extended", at(2026, 3, 3, 12), payload={"workdays": 5})],
           received_at=at(2026, 3, 3, 12, 1))
    from_signal = set(Alert.objects.filter(case__case_no="IRR-H", rule__in=IRREGULARITY_RULES)
                      .values_list("rule", "level", "due_at"))
    assert {("illegal_fee", "red"), ("improper_extension", "yellow")} <= {(r, lv) for r, lv, _ in from_signal}
    Alert.objects.filter(case__case_no="IRR-H").delete()
    evaluate_irregularities([Case.objects.get(case_no="IRR-H").pk], at(2026, 3, 3, 12, 1))
    assert set(Alert.objects.filter(case__case_no="IRR-H").values_list("rule", "level", "due_at")) == from_signal


def test_a_change_during_a_reload_is_not_cached_stale(county, monkeypatch):
    """An invalidation that lands while the rules are being read (another thread saved a rule) must not leave
    the old read cached: the next lookup reads again."""
    from xiaoneng.supervision import config

    config.invalidate()
    real_all = RuleConfig.objects.all
    calls = []

    def all_then_concurrent_save():
        rows = list(real_all())
        if not calls:  # first reload: someone switches the rule off meanwhile
            RuleConfig.objects.filter(code="step_limit").update(enabled=False)
            config.invalidate()
        calls.append(1)
        return rows

    monkeypatch.setattr(RuleConfig.objects, "all", all_then_concurrent_save)
    assert config.setting("step_limit").enabled  # this read began before the change
    assert not config.setting("step_limit").enabled  # … and was not cached: the next one sees it
