"""The single write path: validation codes, idempotency, personal data, batches, query budget, signal."""

import json
from datetime import datetime, timedelta

import pytest

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases import services
from xiaoneng.cases.models import Case, CaseEvent, CaseStep
from xiaoneng.cases.services import (
    EventRejected,
    NewEvent,
    next_case_no,
    record_event,
    record_event_or_raise,
    record_events,
)
from xiaoneng.cases.signals import events_recorded
from xiaoneng.core import crypto

T0 = at(2025, 11, 3, 9)
NOW = at(2025, 11, 3, 12)


def _one(event, **kw):
    kw.setdefault("received_at", NOW)
    return record_event(event, **kw)


def _rejected(result, code, field=None):
    assert result.status == "rejected", result
    assert result.error.code == code, result.error
    if field is not None:
        assert result.error.field == field, result.error


@pytest.fixture
def case_c1(county):
    assert record_events([submitted("C1", T0, county, system="sysA"),
                          ev("C1", "accepted", T0 + timedelta(minutes=30), system="sysA")],
                         received_at=NOW)[1].status == "accepted"
    return Case.objects.get(case_no="C1")


# --- validation codes ------------------------------------------------------------------------------------------


def test_unknown_type(county):
    _rejected(_one(ev("C1", "approved", T0)), "unknown_type", "type")


def test_occurred_in_future(county):
    _rejected(_one(submitted("C1", NOW + timedelta(minutes=6), county)), "occurred_in_future", "occurred_at")
    assert _one(submitted("C2", NOW + timedelta(minutes=4), county)).status == "accepted"


def test_unknown_item_and_department(county):
    _rejected(_one(ev("C1", "submitted", T0, item="NOPE", dept="DA")), "unknown_item", "item_code")
    _rejected(_one(ev("C1", "submitted", T0, item=county.a.version.item.code, dept="NOPE")),
              "unknown_department", "department")


def test_item_must_belong_to_department(county):
    _rejected(_one(ev("C1", "submitted", T0, item=county.a.version.item.code, dept="DB")),
              "invalid_field", "department")


def test_item_code_required_on_submitted_and_with_department(county):
    _rejected(_one(ev("C1", "submitted", T0)), "invalid_field", "item_code")
    _rejected(_one(ev("C1", "submitted", T0, item=county.a.version.item.code)), "invalid_field", "department")


def test_case_not_found(county):
    _rejected(_one(ev("C404", "accepted", T0)), "case_not_found", "case_no")


def test_department_not_allowed(county):
    _rejected(_one(submitted("C1", T0, county), allowed_departments={"DB"}), "department_not_allowed", "department")
    assert _one(submitted("C1", T0, county), allowed_departments={"DA"}).status == "accepted"
    # Also for a later event of an existing case (the case's department counts).
    _rejected(_one(ev("C1", "accepted", T0), allowed_departments={"DB"}), "department_not_allowed")


def test_case_owned_by_other_system(case_c1):
    _rejected(_one(ev("C1", "step_completed", T0 + timedelta(hours=1), system="sysB",
                      payload={"step": "accept", "outcome": "pass"})), "case_owned_by_other_system")


def test_unknown_step(case_c1):
    _rejected(_one(ev("C1", "step_completed", T0 + timedelta(hours=1), system="sysA",
                      payload={"step": "nope", "outcome": "pass"})), "unknown_step", "payload.step")


@pytest.mark.parametrize(
    "type_,payload,field",
    [
        ("rejected", {}, "payload.reason"),
        ("correction_requested", {"materials": []}, "payload.materials"),
        ("correction_requested", {"materials": "申请书"}, "payload.materials"),
        ("step_completed", {"outcome": "pass"}, "payload.step"),
        ("step_completed", {"step": "accept", "outcome": "maybe"}, "payload.outcome"),
        ("suspended", {"reason": "lunch", "workdays": 3}, "payload.reason"),
        ("suspended", {"reason": "hearing", "workdays": 0}, "payload.workdays"),
        ("extended", {"workdays": 0, "approver": "局长"}, "payload.workdays"),
        ("fee_charged", {"amount": "10.00"}, "payload.fee_code"),
        ("fee_charged", {"fee_code": "F01", "amount": "ten"}, "payload.amount"),
        ("fee_charged", {"fee_code": "F01", "amount": "-1.00"}, "payload.amount"),
        ("decided", {"result": "ok"}, "payload.result"),
        ("decided", {"result": "denied"}, "payload.reason"),
        ("delivered", {"method": "pigeon"}, "payload.method"),
        ("forwarded", {}, "payload.to_department"),
    ],
)
def test_payload_rules(case_c1, type_, payload, field):
    _rejected(_one(ev("C1", type_, T0 + timedelta(hours=1), system="sysA", payload=payload)), "invalid_field", field)


@pytest.mark.parametrize("changes, field", [
    ({"channel": "fax"}, "payload.channel"),
    ({"channel": ["window"]}, "payload.channel"),  # unhashable: still a clear rejection
    ({"applicant": {"type": "robot", "name": "李四"}}, "payload.applicant.type"),
    ({"applicant": {"type": {"kind": "person"}, "name": "李四"}}, "payload.applicant.type"),
])
def test_submission_enumerations(county, changes, field):
    event = submitted("S1", T0, county)
    _rejected(_one(NewEvent(**{**event.__dict__, "payload": {**event.payload, **changes}})), "invalid_field", field)


def test_forwarded_to_unknown_department(case_c1):
    _rejected(_one(ev("C1", "forwarded", T0 + timedelta(hours=1), system="sysA", payload={"to_department": "X"})),
              "unknown_department", "payload.to_department")
    assert _one(ev("C1", "forwarded", T0 + timedelta(hours=1), system="sysA",
                   payload={"to_department": "DB"})).status == "accepted"
    assert Case.objects.get(case_no="C1").clock["forwarded_to"] == ["DB"]


def test_actor_required_except_on_submitted(case_c1):
    _rejected(_one(ev("C1", "accepted", T0, system="sysA", actor="")), "invalid_field", "actor")


def test_naive_time_and_bad_case_no(county):
    _rejected(_one(ev("C1", "submitted", T0.replace(tzinfo=None), item="x", dept="DA")), "invalid_field", "occurred_at")
    _rejected(_one(ev("C" * 65, "submitted", T0, item="x", dept="DA")), "invalid_field", "case_no")


def test_reasons_optional_for_paths_that_cannot_refuse(case_c1):
    assert _one(ev("C1", "decided", T0 + timedelta(hours=1), system="sysA", payload={"result": "denied"}),
                require_reasons=False).status == "accepted"


# --- idempotency -----------------------------------------------------------------------------------------------


def test_duplicate_and_conflict_across_batches(case_c1):
    e = ev("C1", "step_completed", T0 + timedelta(hours=1), system="sysA", event_id="x1",
           payload={"step": "accept", "outcome": "pass", "opinion": "同意"})
    assert _one(e).status == "accepted"
    again = _one(e)
    assert (again.status, again.case_no, again.event_id) == ("duplicate", "C1", "x1")
    changed = ev("C1", "step_completed", T0 + timedelta(hours=1), system="sysA", event_id="x1",
                 payload={"step": "accept", "outcome": "pass", "opinion": "不同意"})
    _rejected(_one(changed), "event_id_conflict", "event_id")
    # The same event id from another system is another event (case owned by sysA, though).
    _rejected(_one(ev("C1", "accepted", T0, system="sysB", event_id="x1")), "case_owned_by_other_system")
    assert CaseEvent.objects.filter(event_id="x1").count() == 1
    assert Case.objects.get(case_no="C1").event_count == 3


def test_duplicate_and_conflict_within_one_batch(county):
    e1 = submitted("C1", T0, county, event_id="s1")
    e2 = ev("C1", "accepted", T0 + timedelta(hours=1), event_id="a1")
    e3 = ev("C1", "accepted", T0 + timedelta(hours=2), event_id="a1")
    results = record_events([e1, e2, e2, e3], received_at=NOW)
    assert [r.status for r in results] == ["accepted", "accepted", "duplicate", "rejected"]
    assert results[3].error.code == "event_id_conflict"
    assert Case.objects.get().event_count == 2


def test_rejected_event_does_not_reserve_its_id(county):
    bad = submitted("C1", NOW + timedelta(hours=1), county, event_id="s1")
    good = submitted("C1", T0, county, event_id="s1")
    assert [r.status for r in record_events([bad, good], received_at=NOW)] == ["rejected", "accepted"]


def test_id_no_is_never_stored_raw_and_still_detects_conflicts(county):
    raw = "330122199001011234"
    assert _one(submitted("C1", T0, county, event_id="s1", id_no=raw)).status == "accepted"
    case = Case.objects.get()
    assert crypto.decrypt(case.applicant_id_cipher) == raw
    assert case.applicant_id_masked == crypto.mask_id_no(raw)
    stored = CaseEvent.objects.get().payload["applicant"]
    assert stored["id_no"] == crypto.mask_id_no(raw) and len(stored["id_no_hmac"]) == 64
    assert raw not in str(CaseEvent.objects.values_list("payload", flat=True)[0])
    assert _one(submitted("C1", T0, county, event_id="s1", id_no=raw)).status == "duplicate"
    # Same masked form, different number: a conflict, not a duplicate.
    _rejected(_one(submitted("C1", T0, county, event_id="s1", id_no="330122199901011234")), "event_id_conflict")


def test_generated_event_ids_and_codes(county):
    result = record_event(NewEvent(case_no="C1", type="submitted", occurred_at=T0,
                                   item_code=county.a.version.item.code, department_code="DA",
                                   payload={"applicant": {"name": "王五"}},
                                   case_fields={"channel": "online", "hall_id": county.hall.pk,
                                                "applicant_phone": "13800001111"}), received_at=NOW)
    assert result.status == "accepted" and len(result.event_id) == 32
    case = Case.objects.get()
    assert len(case.query_code) == 8 and len(case.rating_code) == 10
    assert case.channel == "online" and case.hall_id == county.hall.pk
    assert crypto.decrypt(case.applicant_phone_cipher) == "13800001111"
    assert case.region_code == county.a.department.region.code and case.item_version == county.a.version


# --- batches ---------------------------------------------------------------------------------------------------


def test_later_event_uses_case_created_earlier_in_batch(county):
    results = record_events([
        ev("C1", "accepted", T0),  # not yet known: case_not_found
        submitted("C1", T0, county),
        ev("C1", "accepted", T0 + timedelta(hours=1)),
    ], received_at=NOW)
    assert [r.status for r in results] == ["rejected", "accepted", "accepted"]
    assert Case.objects.get().status == "accepted"
    assert list(CaseEvent.objects.order_by("seq").values_list("seq", "type")) == [(1, "submitted"), (2, "accepted")]


def test_non_submitted_event_with_item_creates_the_case(county):
    """先批后录: a case whose first report is its decision (off_system detection needs it recorded)."""
    r = _one(ev("C9", "decided", T0, item=county.a.version.item.code, dept="DA",
                payload={"result": "approved", "document_no": "许字〔2025〕1号"}))
    assert r.status == "accepted"
    case = Case.objects.get(case_no="C9")
    assert case.status == "decided" and case.document_no == "许字〔2025〕1号" and case.applicant_name == ""
    # The late submission fills the applicant in.
    assert _one(submitted("C9", T0 - timedelta(days=1), county)).status == "accepted"
    case.refresh_from_db()
    assert case.applicant_name == "李四" and case.applicant_id_masked
    assert case.submitted_at == T0 - timedelta(days=1)


def test_item_or_department_mismatch_on_existing_case(county, case_c1):
    _rejected(_one(ev("C1", "accepted", T0, system="sysA", item=county.b.version.item.code, dept="DB")),
              "invalid_field", "item_code")


def test_signal_sent_once_per_batch_with_accepted_events(county):
    calls = []

    def receiver(sender, case_ids, events, histories, **kw):
        stored = set(CaseEvent.objects.values_list("case_id", "seq", "hash"))
        calls.append((case_ids, [(e.case.case_no, e.type, (e.case_id, e.seq, e.hash) in stored) for e in events],
                      {cid: [(h.type, h.seq) for h in rows] for cid, rows in histories.items()}))

    record_event(submitted("C1", T0, county), received_at=NOW)
    events_recorded.connect(receiver)
    try:
        record_events([ev("C1", "accepted", T0, actor="u1"), ev("C1", "bogus", T0), submitted("C2", T0, county)],
                      received_at=NOW)
    finally:
        events_recorded.disconnect(receiver)
    assert len(calls) == 1
    case_ids, events, histories = calls[0]
    c1, c2 = (Case.objects.get(case_no=no).pk for no in ("C1", "C2"))
    assert sorted(case_ids) == sorted([c1, c2])
    # The accepted events only, already stored when the receivers run …
    assert events == [("C1", "accepted", True), ("C2", "submitted", True)]
    # … and every event of each touched case, for per-event rules that look at the whole history.
    assert histories == {c1: [("submitted", 1), ("accepted", 2)], c2: [("submitted", 1)]}


def test_record_event_or_raise(county):
    case = record_event_or_raise(submitted("C1", T0, county), received_at=NOW)
    assert isinstance(case, Case) and case.pk and case.status == "submitted"
    with pytest.raises(EventRejected) as info:
        record_event_or_raise(ev("C1", "rejected", T0 + timedelta(hours=1)), received_at=NOW)
    assert info.value.error.code == "invalid_field" and info.value.error.field == "payload.reason"


def test_policy_provider_hook(county):
    from xiaoneng.cases.clock import DeadlinePolicy
    from xiaoneng.cases.policy import current_policy, set_policy_provider

    off = DeadlinePolicy.from_rows([{"rule": r, "enabled": False} for r in
                                    ("case_limit", "step_limit", "special_procedure", "pre_acceptance", "delivery")])
    dept_a = county.a.department.pk
    calls = []

    def provider(*, department_id, item_id):  # every rule off for department A only
        calls.append((department_id, item_id))
        return off if department_id == dept_a else DeadlinePolicy()

    previous = set_policy_provider(provider)
    try:
        assert current_policy(dept_a, None) is off and current_policy() == DeadlinePolicy()
        calls.clear()
        record_events([submitted("C1", T0, county), ev("C1", "accepted", T0),
                       submitted("C2", T0, county), ev("C2", "accepted", T0),
                       ev("C3", "submitted", T0, item=county.b.version.item.code, dept="DB", actor=""),
                       ev("C3", "accepted", T0)], received_at=NOW)
        assert sorted(calls) == sorted({(dept_a, county.a.version.item_id),
                                        (county.b.department.pk, county.b.version.item_id)})  # once per pair
        c1, c3 = Case.objects.get(case_no="C1"), Case.objects.get(case_no="C3")
        assert c1.deadlines == [] and c1.next_check_at is None and c1.promised_due is not None
        assert c3.deadlines and c3.next_check_at is not None
    finally:
        # Put back whatever was installed (the supervision app's provider): later tests in this process use it.
        assert set_policy_provider(previous) is provider
    try:
        set_policy_provider(None)  # None: the default table
        assert current_policy() == DeadlinePolicy()
    finally:
        set_policy_provider(previous)


def test_next_case_no(county):
    from datetime import date

    first = next_case_no("330122000000", date(2025, 10, 9))
    second = next_case_no("330122000000", date(2025, 10, 9))
    other_day = next_case_no("330122000000", date(2025, 10, 10))
    assert first == "33012200000020251009000001"
    assert second == "33012200000020251009000002"
    assert other_day == "33012200000020251010000001"


# --- query budget ----------------------------------------------------------------------------------------------


def _warm(county):
    # The calendar is cached per process; warm it so the budget below is the steady state (+1 token read).
    services._Deriver(NOW).calendar(county.a.department.region.code)


@pytest.fixture
def only_case_engine():
    """Disconnect other apps' events_recorded receivers to measure the write path's own queries."""
    saved = events_recorded.receivers
    events_recorded.receivers = []
    events_recorded.sender_receivers_cache.clear()
    yield
    events_recorded.receivers = saved
    events_recorded.sender_receivers_cache.clear()


def _lifecycle_batches():
    first, second = [], []
    for i in range(500):
        first.append(ev(f"B{i:04d}", "submitted", T0, item="ITEM-DA-001", dept="DA", actor="",
                        payload={"applicant": {"name": "批量", "id_no": "330122199001011234"}}))
        first.append(ev(f"B{i:04d}", "accepted", T0 + timedelta(minutes=5)))
        second.append(ev(f"B{i:04d}", "step_completed", T0 + timedelta(minutes=10), payload={"step": "accept"}))
        second.append(ev(f"B{i:04d}", "step_completed", T0 + timedelta(minutes=20), payload={"step": "review1"}))
    return first, second


OWN_BUDGET = 16  # the write path itself (savepoint … release included; the cases' versions and departments read apart)
TOTAL_BUDGET = 27  # with the other apps' receivers (supervision) connected


def test_query_budget_one_event_own(county, only_case_engine, django_assert_max_num_queries):
    _warm(county)
    with django_assert_max_num_queries(OWN_BUDGET):
        assert record_event(submitted("C1", T0, county), received_at=NOW).status == "accepted"
    with django_assert_max_num_queries(OWN_BUDGET):
        assert record_event(ev("C1", "accepted", T0), received_at=NOW).status == "accepted"


def test_query_budget_1000_events_own(county, only_case_engine, django_assert_max_num_queries):
    _warm(county)
    first, second = _lifecycle_batches()
    with django_assert_max_num_queries(OWN_BUDGET):
        assert all(r.status == "accepted" for r in record_events(first, received_at=NOW))
    with django_assert_max_num_queries(OWN_BUDGET):
        assert all(r.status == "accepted" for r in record_events(second, received_at=NOW))
    assert CaseEvent.objects.count() == 2000 and Case.objects.filter(event_count=4).count() == 500
    assert CaseStep.objects.filter(code="review2", status="active").count() == 500


def test_query_budget_with_receivers(county, django_assert_max_num_queries):
    _warm(county)
    with django_assert_max_num_queries(TOTAL_BUDGET):
        assert record_event(submitted("C1", T0, county), received_at=NOW).status == "accepted"
    first, second = _lifecycle_batches()
    with django_assert_max_num_queries(TOTAL_BUDGET):
        assert all(r.status == "accepted" for r in record_events(first, received_at=NOW))
    with django_assert_max_num_queries(TOTAL_BUDGET):
        assert all(r.status == "accepted" for r in record_events(second, received_at=NOW))


def test_clock_as_dict_matches_the_dataclass_conversion(county):
    import dataclasses

    from xiaoneng.cases.clock import ClockEvent, compute_clock
    from xiaoneng.cases.services import terms_for
    from xiaoneng.workcal.selectors import get_calendar

    version = county.a.version
    clock = compute_clock(
        [ClockEvent("submitted", T0), ClockEvent("accepted", T0),
         ClockEvent("suspended", T0 + timedelta(days=1), {"reason": "hearing", "workdays": 2})],
        terms_for(version, list(version.steps.all())), get_calendar(None), NOW + timedelta(days=3))
    assert clock.special is not None and clock.steps and clock.deadlines  # every nested kind is exercised

    def iso(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: iso(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [iso(v) for v in value]
        return value

    expected = iso(dataclasses.asdict(clock)) | {"elapsed_days": clock.elapsed_days,
                                                 "suspended_days": clock.suspended_days}
    assert clock.as_dict() == expected
    for name in ("deadlines", "steps", "status"):
        del expected[name]
    assert clock.as_dict(omit=frozenset({"deadlines", "steps", "status"})) == expected
    # Enum members (str subclasses, e.g. a status taken from CaseStatus) pass through as their value.
    from xiaoneng.cases.models import CaseStatus

    data = dataclasses.replace(clock, status=CaseStatus.WITHDRAWN).as_dict()
    assert data["status"] == "withdrawn" and json.loads(json.dumps(data))["status"] == "withdrawn"


def test_rederive_cases_is_idempotent_and_bounded(county, only_case_engine, django_assert_max_num_queries):
    from xiaoneng.cases.services import rederive_cases

    _warm(county)
    first, _second = _lifecycle_batches()
    record_events(first[:400], received_at=NOW)
    ids = list(Case.objects.values_list("pk", flat=True))
    before = list(Case.objects.order_by("pk").values_list("status", "promised_due", "deadlines", "clock"))
    with django_assert_max_num_queries(10):
        assert rederive_cases(ids, now=NOW) == 200
    assert list(Case.objects.order_by("pk").values_list("status", "promised_due", "deadlines", "clock")) == before
