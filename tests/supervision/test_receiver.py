"""The ``events_recorded`` receiver: the same cards whatever the case engine hands over (the re-derived cases,
the histories, or neither), a fixed number of queries per batch, and item facts kept only while valid."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.supervision.conftest import accepted_case, at, ev, record
from xiaoneng.cases.signals import events_recorded
from xiaoneng.supervision import services
from xiaoneng.supervision.catalogue import IRREGULARITY_RULES
from xiaoneng.supervision.models import Alert, AlertDailyStat, RuleConfig, RuleOverride

CARD_FIELDS = ("subject_type", "subject_id", "subject_no", "case_id", "department_id", "region_code", "step",
               "rule", "level", "due_at", "raised_at", "status", "status_changed_at", "message",
               "escalation_level", "next_escalation_at")


class _Capture:
    def __init__(self):
        self.calls = []

    def __call__(self, sender=None, **kwargs):
        self.calls.append(kwargs)


def _recorded(events, received_at):
    """Record ``events`` and return what the engine sent to ``events_recorded`` for them."""
    capture = _Capture()
    events_recorded.connect(capture, dispatch_uid="test_receiver_capture")
    try:
        record(events, received_at=received_at)
    finally:
        events_recorded.disconnect(dispatch_uid="test_receiver_capture")
    assert len(capture.calls) == 1
    return capture.calls[0]


def _cards():
    cards = sorted(Alert.objects.values_list(*CARD_FIELDS))
    stats = sorted(AlertDailyStat.objects.values_list("day", "department_id", "rule", "level", "count"))
    return cards, stats


def _clear():
    Alert.objects.all().delete()
    AlertDailyStat.objects.all().delete()


def _mixed_batch(county):
    """Cases with several irregularities each (and one without), the last batch's signal arguments."""
    t0 = at(2026, 3, 2, 9, 59)
    accepted_case(county, "RCV-1", t0)
    accepted_case(county, "RCV-2", t0, dept="DB")
    accepted_case(county, "RCV-3", t0)
    later = at(2026, 3, 3, 10)
    return _recorded([
        ev("RCV-1", "fee_charged", later, payload={"fee_code": "F01", "amount": "20.00"}),
        ev("RCV-1", "fee_charged", later + timedelta(minutes=5), payload={"fee_code": "NOPE", "amount": "1"}),
        ev("RCV-1", "extended", later + timedelta(hours=1), payload={"workdays": 30}),
        ev("RCV-2", "suspended", later, payload={"reason": "other", "workdays": 2}, dept="DB"),
        ev("RCV-2", "decided", later + timedelta(hours=2), payload={"result": "denied", "reason": "x"}, dept="DB"),
        ev("RCV-3", "resumed", later, payload={"result": "ok"}),
    ], received_at=at(2026, 3, 9, 9))  # a week late: late_report and off_system as well


@pytest.mark.parametrize("override", [False, True])
def test_same_cards_with_or_without_the_cases_and_histories(county, override):
    if override:  # per-department / per-item settings: the lookup per (rule, department, item)
        RuleOverride.objects.create(rule=RuleConfig.objects.get(code="late_report"), department=county.b.department,
                                    enabled=False)
        RuleOverride.objects.create(rule=RuleConfig.objects.get(code="illegal_fee"), item=county.a.version.item,
                                    issue_mode="confirm")
    kw = _recorded_kw = _mixed_batch(county)
    assert set(kw["cases"]) == set(kw["case_ids"])
    given, stats = _cards()
    rules = {c[7] for c in given}
    assert {"illegal_fee", "improper_extension", "special_reason", "late_report"} <= rules
    assert ("late_report" in {c[7] for c in given if c[4] == county.b.department.pk}) is not override

    variants = {
        "signal": _recorded_kw,
        "without cases": {k: v for k, v in kw.items() if k != "cases"},
        "without cases and histories": {k: v for k, v in kw.items() if k not in ("cases", "histories")},
        "some cases only": {**kw, "cases": dict(list(kw["cases"].items())[:1])},
    }
    for name, arguments in variants.items():
        _clear()
        services.on_events_recorded(sender=None, **arguments)
        assert _cards() == (given, stats), name
    # once raised, a card is neither sent again nor counted twice
    assert services.evaluate_irregularities(kw["case_ids"], at(2026, 3, 9, 9), kw["histories"], kw["cases"]) == []
    services.on_events_recorded(sender=None, **kw)
    assert _cards() == (given, stats)


def test_two_findings_of_one_card_keep_the_first(county):
    """Two unpublished fees on one case are one card (case, step, rule, level): the first finding's text."""
    _mixed_batch(county)
    card = Alert.objects.get(case__case_no="RCV-1", rule="illegal_fee")
    assert "20" in card.message and "NOPE" not in card.message


def _batch_queries(county, prefix, n):
    record([ev(f"{prefix}{i:05d}", "submitted", at(2026, 3, 2, 9), county=county) for i in range(n)],
           received_at=at(2026, 3, 2, 9, 1))
    kw = _recorded([ev(f"{prefix}{i:05d}", "fee_charged", at(2026, 3, 3, 9),
                       payload={"fee_code": "NOPE", "amount": "1"}) for i in range(n)],
                   received_at=at(2026, 3, 3, 9, 1))
    _clear()
    with CaptureQueriesContext(connection) as queries:
        services.on_events_recorded(sender=None, **kw)
    assert Alert.objects.filter(rule="illegal_fee", case__case_no__startswith=prefix).count() == n
    return [q["sql"] for q in queries.captured_queries]


def test_a_batch_costs_a_fixed_number_of_queries(county):
    small = _batch_queries(county, "QS", 5)
    large = _batch_queries(county, "QL", 1000)
    assert len(large) == len(small)
    assert len(large) <= 12
    if connection.vendor == "postgresql":  # one array parameter, never a thousand placeholders
        assert not [sql for sql in large if sql.count(", ") > 900 and " IN (" in sql]


def test_item_facts_of_a_published_version_are_kept_while_valid(county):
    kw = _mixed_batch(county)
    vid = county.a.version.pk
    fee_table = "catalog_fee"

    def fee_reads():
        with CaptureQueriesContext(connection) as queries:
            services.evaluate_irregularities(kw["case_ids"], at(2026, 3, 9, 9), kw["histories"], kw["cases"])
        return [q for q in queries.captured_queries if fee_table in q["sql"]]

    services._version_facts.clear()
    assert fee_reads()  # first read
    assert not fee_reads()  # kept
    created, *rest = services._version_facts[vid]
    services._version_facts[vid] = (created - timedelta(seconds=1), *rest)  # an id re-used by another version
    assert fee_reads()
    assert services._version_facts[vid][0] == created


def test_irregularity_rules_run_without_the_case_instances_of_other_callers(county):
    """Other callers may send ``events_recorded`` without ``cases`` (or evaluate directly): cases are read."""
    kw = _mixed_batch(county)
    given = _cards()
    _clear()
    new = services.evaluate_irregularities(kw["case_ids"], at(2026, 3, 9, 9))
    assert {c.rule for c in new} <= set(IRREGULARITY_RULES) and new
    services.raise_passed("cases.case", kw["case_ids"], at(2026, 3, 9, 9))
    assert _cards() == given


class _Case:
    """Stands in for a re-derived case: only its instance dict is read."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


NOW = at(2026, 3, 9, 9)


@pytest.mark.parametrize("deadlines, kept", [
    ([], False),
    ([{"rule": "case_limit", "level": "warning", "step": None, "at": (NOW + timedelta(days=1)).isoformat()}], False),
    ([{"rule": "case_limit", "level": "warning", "step": None, "at": (NOW + timedelta(days=1)).isoformat()},
      {"rule": "step_limit", "level": "yellow", "step": "a", "at": NOW.isoformat()}], True),  # at now: passed
    ([{"rule": "case_limit", "level": "red", "step": None, "at": (NOW - timedelta(seconds=1)).isoformat()}], True),
    ([{"rule": "case_limit", "level": "red", "step": None, "at": ""}], False),  # no instant: the query skips it too
    ([{"rule": "case_limit", "level": "red", "step": None, "at": "not a time"}], True),  # left to the query
    ([{"rule": "case_limit", "level": "red", "step": None, "at": "2026-03-01T09:00:00"}], True),  # naive: the query
    (None, True),  # deadlines not in hand (deferred): the query decides
    ("[]", True),  # not the engine's list
])
def test_only_cases_with_a_passed_deadline_are_read_for_cards(deadlines, kept):
    case = _Case() if deadlines is None else _Case(deadlines=deadlines)
    assert services._with_passed_deadlines([7], {7: case}, NOW) == ([7] if kept else [])


def test_cases_not_handed_over_are_all_kept():
    assert services._with_passed_deadlines([1, 2], None, NOW) == [1, 2]
    assert services._with_passed_deadlines([1, 2], {1: _Case(deadlines=[])}, NOW) == [2]


def test_a_late_batch_raises_its_passed_time_cards_through_the_filter(county):
    kw = _mixed_batch(county)
    assert services._with_passed_deadlines(kw["case_ids"], kw["cases"], NOW)  # some cases have passed deadlines
    time_cards = Alert.objects.filter(rule__in=["case_limit", "step_limit"]).count()
    assert time_cards
    _clear()
    services.on_events_recorded(sender=None, **{k: v for k, v in kw.items() if k != "cases"})  # unfiltered
    assert Alert.objects.filter(rule__in=["case_limit", "step_limit"]).count() == time_cards
