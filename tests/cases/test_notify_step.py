"""The 办结告知 (notify) step: running after the decision, done at the delivery; cancelled only on early ends."""

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases.models import Case, CaseStep
from xiaoneng.cases.services import record_events


def _record(events, now):
    results = record_events(events, received_at=now)
    assert all(r.status == "accepted" for r in results), results


def _steps(case_no):
    return {s.code: s for s in CaseStep.objects.filter(case__case_no=case_no)}


def _decided_case(county, case_no="N1"):
    """Accepted Monday 2025-11-03, every step up to 决定 passed, decided on 11-06 (no step_completed for notify)."""
    return [
        submitted(case_no, at(2025, 11, 3, 9), county),
        ev(case_no, "accepted", at(2025, 11, 3, 10)),
        *[
            ev(case_no, "step_completed", at(2025, 11, 4, 9 + i), payload={"step": code, "outcome": "pass"})
            for i, code in enumerate(["accept", "review1", "review2", "decide"])
        ],
        ev(case_no, "decided", at(2025, 11, 6, 10), payload={"result": "approved", "document_no": "测许1号"}),
    ]


def test_notify_step_runs_after_decision_and_is_done_at_delivery(county):
    _record(_decided_case(county), at(2025, 11, 6, 11))
    steps = _steps("N1")
    notify = steps["notify"]
    assert notify.post == "notifier"
    assert notify.status == "active" and notify.started_at is not None and notify.completed_at is None
    assert {c: s.status for c, s in steps.items() if c != "notify"} == dict.fromkeys(
        ["accept", "review1", "review2", "decide"], "done"
    )

    _record([ev("N1", "delivered", at(2025, 11, 7, 9), actor="送达员", payload={"method": "window"})],
            at(2025, 11, 7, 10))
    assert Case.objects.get(case_no="N1").status == "delivered"
    notify = _steps("N1")["notify"]
    assert notify.status == "done" and notify.completed_at == at(2025, 11, 7, 9)
    assert notify.actor_name == "送达员" and notify.outcome == "pass"
    assert {s.status for s in _steps("N1").values()} == {"done"}


def test_steps_of_a_withdrawn_case_are_cancelled(county):
    events = _decided_case(county, "N2")[:3]  # submitted, accepted, accept step passed
    events.append(ev("N2", "withdrawn", at(2025, 11, 5, 9), payload={"reason": "申请人撤回"}))
    _record(events, at(2025, 11, 5, 10))
    statuses = {c: s.status for c, s in _steps("N2").items()}
    assert statuses["accept"] == "done"
    assert {statuses[c] for c in ("review1", "review2", "decide", "notify")} == {"cancelled"}
