"""Irregularity rules (pure): each rule at its boundary, table-driven."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.supervision.irregularities import ItemFacts, StepFact, evaluate

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
STEPS = (StepFact("accept", "受理", "acceptor"), StepFact("review1", "初审", "reviewer1"),
         StepFact("review2", "复审", "reviewer2"), StepFact("decide", "决定", "decider"),
         StepFact("notify", "办结告知", "notifier"))
FACTS = ItemFacts(fees={"F01": Decimal("10.00")}, steps=STEPS, max_extension_days=10)


@dataclass
class E:
    type: str
    minutes: float = 0
    payload: dict = field(default_factory=dict)
    actor_id: str = "u1"
    actor_name: str = "张三"
    received_minutes: float | None = None
    seq: int = 0
    backfilled: bool = False

    @property
    def occurred_at(self):
        return T0 + timedelta(minutes=self.minutes)

    @property
    def received_at(self):
        m = self.minutes if self.received_minutes is None else self.received_minutes
        return T0 + timedelta(minutes=m)


def happy(*extra):
    base = [E("submitted", 0), E("accepted", 1), E("step_completed", 2, {"step": "accept"}),
            E("step_completed", 3, {"step": "review1"}), E("step_completed", 4, {"step": "review2"}),
            E("step_completed", 5, {"step": "decide"}, actor_id="u9"),
            E("decided", 6, {"result": "approved"}, actor_id="u9")]
    return base + list(extra)


def rules(events, facts=FACTS, params=None):
    return sorted({(f.rule, f.level, f.step) for f in evaluate(events, facts, params)})


def test_happy_path_has_no_findings():
    assert rules(happy()) == []


@pytest.mark.parametrize("payload, expected", [
    ({"fee_code": "F01", "amount": "10.00"}, []),
    ({"fee_code": "F01", "amount": "10"}, []),
    ({"fee_code": "F01", "amount": "10.01"}, [("illegal_fee", "red", "")]),
    ({"fee_code": "F01", "amount": "9.99"}, [("illegal_fee", "red", "")]),
    ({"fee_code": "F99", "amount": "10.00"}, [("illegal_fee", "red", "")]),
    ({"amount": "5"}, [("illegal_fee", "red", "")]),
])
def test_illegal_fee(payload, expected):
    assert rules(happy(E("fee_charged", 3.5, payload))) == expected


def test_procedure_decision_without_review():
    events = [E("submitted", 0), E("accepted", 1), E("step_completed", 2, {"step": "review1"}),
              E("decided", 6, {"result": "approved"})]
    assert rules(events) == [("procedure_violation", "yellow", "decide")]


def test_procedure_decision_before_acceptance():
    assert rules([E("submitted", 0), E("decided", 6, {"result": "approved"})]) == [
        ("procedure_violation", "yellow", "decide")]


def test_procedure_steps_out_of_order_even_if_reported_out_of_order():
    events = [E("submitted", 0), E("accepted", 1), E("step_completed", 4, {"step": "review2"}),
              E("step_completed", 3, {"step": "review1"})]
    assert rules(events) == []  # folded in occurred_at order: review1 then review2
    events = [E("submitted", 0), E("accepted", 1), E("step_completed", 3, {"step": "review2"}),
              E("step_completed", 4, {"step": "review1"})]
    assert rules(events) == [("procedure_violation", "yellow", "review2")]


def test_procedure_return_reopens_previous_stage():
    events = [E("submitted", 0), E("accepted", 1), E("step_completed", 2, {"step": "review1"}),
              E("step_completed", 3, {"step": "review2", "outcome": "return"}),
              E("step_completed", 4, {"step": "review2"})]
    assert rules(events) == [("procedure_violation", "yellow", "review2")]
    events.insert(4, E("step_completed", 3.5, {"step": "review1"}))
    assert rules(events) == []


def test_procedure_parallel_steps_any_order():
    steps = (StepFact("accept", "受理", "acceptor"), StepFact("a", "甲", "reviewer1", "p"),
             StepFact("b", "乙", "reviewer1", "p"), StepFact("decide", "决定", "decider"))
    facts = ItemFacts(steps=steps)
    events = [E("submitted", 0), E("accepted", 1), E("step_completed", 2, {"step": "b"}),
              E("step_completed", 3, {"step": "a"}), E("decided", 4, {"result": "approved"})]
    assert rules(events, facts) == []
    assert rules(events[:3] + events[4:], facts) == [("procedure_violation", "yellow", "decide")]


@pytest.mark.parametrize("event, expected", [
    (E("rejected", 2, {"reason": "材料不全"}), []),
    (E("rejected", 2, {"reason": "  "}), [("no_reason", "yellow", "")]),
    (E("rejected", 2, {}), [("no_reason", "yellow", "")]),
])
def test_no_reason_rejection(event, expected):
    assert rules([E("submitted", 0), event]) == expected


def test_no_reason_denial():
    events = happy()
    events[-1] = E("decided", 6, {"result": "denied"}, actor_id="u9")
    assert rules(events) == [("no_reason", "yellow", "")]
    events[-1] = E("decided", 6, {"result": "denied", "reason": "不符合条件"}, actor_id="u9")
    assert rules(events) == []


@pytest.mark.parametrize("corrections, expected", [
    ([0.5], []),
    ([0.5, 0.7], [("repeated_correction", "yellow", "")]),  # two notices before acceptance
    ([0.5, 3], []),  # one before acceptance, one during review
    ([3, 3.5], [("repeated_correction", "yellow", "")]),
])
def test_repeated_correction(corrections, expected):
    events = [E("submitted", 0), E("accepted", 1)]
    for i, m in enumerate(corrections):
        events += [E("correction_requested", m, {"materials": ["x"]}),
                   E("correction_completed", m + 0.05 + i * 0.0001)]
    assert rules(events) == expected


@pytest.mark.parametrize("extensions, expected", [
    ([{"workdays": 10, "approver": "局长"}], []),
    ([{"workdays": 11, "approver": "局长"}], [("improper_extension", "yellow", "")]),
    ([{"workdays": 5}], [("improper_extension", "yellow", "")]),
    ([{"workdays": 5, "approver": "局长"}, {"workdays": 2, "approver": "局长"}],
     [("improper_extension", "yellow", "")]),
])
def test_improper_extension(extensions, expected):
    events = [E("submitted", 0), E("accepted", 1)] + [E("extended", 2 + i, p) for i, p in enumerate(extensions)]
    assert rules(events) == expected


@pytest.mark.parametrize("delay_minutes, late", [(24 * 60, False), (24 * 60 + 1 / 60, True), (24 * 60 - 1, False)])
def test_late_report_boundary(delay_minutes, late):
    events = [E("submitted", 0, received_minutes=0), E("accepted", 1, received_minutes=1 + delay_minutes)]
    found = evaluate(events, FACTS)
    assert [f.rule for f in found] == (["late_report"] if late else [])
    if late:
        assert found[0].at == T0 + timedelta(minutes=1) + timedelta(hours=24)
        assert found[0].level == "warning"


def test_late_report_threshold_is_a_parameter():
    events = [E("submitted", 0, received_minutes=0), E("accepted", 1, received_minutes=1 + 120)]
    assert rules(events, params={"late_report": {"hours": 1}}) == [("late_report", "warning", "")]


def test_off_system_first_report_after_decision():
    # The whole life reported two days after the decision (also late).
    lag = 2 * 24 * 60
    events = [E(e.type, e.minutes, e.payload, e.actor_id, received_minutes=6 + lag) for e in happy()]
    assert ("off_system", "yellow", "") in rules(events)


def test_off_system_promised_case_whole_life_in_minutes_in_one_batch():
    events = [E(e.type, e.minutes, e.payload, e.actor_id, received_minutes=7) for e in happy()]
    assert rules(events) == [("off_system", "yellow", "")]
    # an instant item (即办件) handled in minutes is normal
    assert rules(events, ItemFacts(fees=FACTS.fees, steps=STEPS, handling_type="instant")) == []
    # reported in real time: not suspicious
    assert rules(happy()) == []


def _imported(events, backfilled=True):
    return [E(e.type, e.minutes, e.payload, e.actor_id, e.actor_name, e.received_minutes, e.seq, backfilled)
            for e in events]


REPORTED_LATE = [E(e.type, e.minutes, e.payload, e.actor_id, received_minutes=6 + 90 * 24 * 60) for e in happy()]
REPORTED_IN_ONE_BATCH = [E(e.type, e.minutes, e.payload, e.actor_id, received_minutes=7) for e in happy()]


@pytest.mark.parametrize("events, real_time_findings", [
    (REPORTED_LATE, [("late_report", "warning", ""), ("off_system", "yellow", "")]),
    (REPORTED_IN_ONE_BATCH, [("off_system", "yellow", "")]),
])
def test_history_brought_in_by_the_bulk_import_is_not_a_late_or_off_system_report(events, real_time_findings):
    assert rules(events) == real_time_findings
    assert rules(_imported(events)) == []


def test_an_imported_case_that_goes_on_in_real_time_is_judged_on_its_real_time_reports():
    history = _imported([E("submitted", 0, received_minutes=3 * 24 * 60), E("accepted", 1,
                                                                           received_minutes=3 * 24 * 60)])
    on_time = [E("step_completed", 4 * 24 * 60, {"step": "accept"}), E("decided", 5 * 24 * 60,
                                                                        {"result": "approved"}, actor_id="u9")]
    assert "late_report" not in {r for r, _, _ in rules(history + on_time)}
    assert "off_system" not in {r for r, _, _ in rules(history + on_time)}  # it reached the platform by import
    late = [on_time[0], E("decided", 5 * 24 * 60, {"result": "approved"}, actor_id="u9",
                          received_minutes=7 * 24 * 60)]
    assert ("late_report", "warning", "") in rules(history + late)


@given(delays=st.lists(st.floats(min_value=0, max_value=60 * 24 * 60, allow_nan=False), min_size=7, max_size=7),
       cut=st.integers(min_value=0, max_value=7))
def test_marking_events_imported_only_ever_removes_the_reporting_findings(delays, cut):
    events = [E(e.type, e.minutes, e.payload, e.actor_id, received_minutes=e.minutes + d)
              for e, d in zip(happy(), delays, strict=True)]
    mixed = _imported(events[:cut]) + events[cut:]
    reporting = {"late_report", "off_system"}
    before, after = rules(events), rules(mixed)
    assert set(after) <= set(before)
    assert {f for f in before if f[0] not in reporting} == {f for f in after if f[0] not in reporting}


@pytest.mark.parametrize("reason, flagged", [("inspection", False), ("expert_review", False), ("other", True),
                                             ("", True), ("lunch", True)])
def test_special_reason(reason, flagged):
    events = [E("submitted", 0), E("accepted", 1), E("suspended", 2, {"reason": reason, "workdays": 2})]
    assert rules(events) == ([("special_reason", "warning", "")] if flagged else [])


def test_no_separation_only_where_required():
    events = happy()
    events[-1] = E("decided", 6, {"result": "approved"}, actor_id="u1")
    events[-2] = E("step_completed", 5, {"step": "decide"}, actor_id="u1")
    assert rules(events) == []
    sep = ItemFacts(fees=FACTS.fees, steps=STEPS, separation_required=True)
    assert rules(events, sep) == [("no_separation", "warning", "")]
    assert rules(happy(), sep) == []


def test_a_decision_dated_before_the_submission_does_not_break_the_rules():
    """off_system (b) looks at the events from submission to decision: none when the decision comes first."""
    events = [E("decided", 0, {"result": "approved"}, actor_id="u9"), E("submitted", 1), E("accepted", 2)]
    assert ("off_system", "yellow", "") not in rules(events)


def test_events_without_seq_or_with_ties_fold_in_occurred_then_seq_order():
    class Bare:  # no seq attribute at all
        def __init__(self, type_, minutes, payload=None):
            self.type, self.payload, self.actor_id, self.actor_name = type_, payload or {}, "u1", "张三"
            self.occurred_at = self.received_at = T0 + timedelta(minutes=minutes)

    bare = [Bare("decided", 6, {"result": "approved"}), *[Bare(e.type, e.minutes, e.payload) for e in happy()[:-1]]]
    assert rules(bare) == rules(happy())
    tied = [E("step_completed", 2, {"step": "review1"}, seq=4), E("step_completed", 2, {"step": "accept"}, seq=None)]
    assert rules(happy()[:2] + tied) == rules(happy()[:2] + tied[::-1])
