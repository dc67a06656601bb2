"""Contract suite for POST /api/v1/events (shared/design/exchange-api.md)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.exchange.conftest import event, submitted, ts
from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.exchange.keys import revoke_keys, rotate_key
from xiaoneng.exchange.models import QuarantinedEvent, RateWindow
from xiaoneng.exchange.parsing import CONTRACT_TYPES

ERROR_CODES = ("invalid_field", "unknown_type", "unknown_item", "unknown_department", "department_not_allowed",
               "unknown_step", "case_owned_by_other_system", "case_not_found", "event_id_conflict",
               "occurred_in_future")


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    return body


# --- whole-request errors ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestWholeRequest:
    def test_missing_key_401(self, api_a):
        r = api_a.client.post("/api/v1/events", data='{"events": []}', content_type="application/json")
        assert_error(r, 401, "unauthorized")
        assert r["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("key", ["nonsense", "xn_abcdefgh_wrong", "Basic x", "xn__", "x" * 500])
    def test_wrong_key_401(self, api_a, key):
        assert_error(api_a.post([submitted("C1")], key=key), 401, "unauthorized")

    def test_revoked_and_rotated_keys_401(self, api_a, system_a):
        new_key = rotate_key(system_a)
        assert_error(api_a.post([submitted("C1")]), 401)
        assert api_a.post([submitted("C1")], key=new_key).status_code == 200
        revoke_keys(system_a)
        assert_error(api_a.post([submitted("C2")], key=new_key), 401)

    def test_inactive_system_401(self, api_a, system_a):
        system_a.is_active = False
        system_a.save()
        assert_error(api_a.post([submitted("C1")]), 401)

    def test_read_endpoints_need_key(self, api_a):
        for path in ("/api/v1/cases/X", "/api/v1/alerts", "/api/v1/items", "/api/v1/items/X"):
            assert_error(api_a.client.get(path), 401, "unauthorized")

    def test_malformed_json_400(self, api_a):
        assert_error(api_a.post(body='{"events": [', content_type="application/json"), 400, "malformed_json")
        assert_error(api_a.post(body=b"\xff\xfe{", content_type="application/json"), 400)

    def test_not_json_415(self, api_a):
        body = json.dumps({"events": [submitted("C1")]})
        assert_error(api_a.post(body=body, content_type="text/plain"), 415, "unsupported_media_type")
        assert_error(api_a.post(body=body, content_type="application/x-www-form-urlencoded"), 415)
        assert not Case.objects.exists()

    def test_json_with_charset_is_fine(self, api_a):
        body = json.dumps({"events": [submitted("C1")]})
        assert api_a.post(body=body, content_type="application/json; charset=utf-8").status_code == 200

    def test_too_large_413(self, api_a):
        big = json.dumps({"events": [submitted("C1", payload={"pad": "x" * (5 * 1024 * 1024)})]})
        assert_error(api_a.post(body=big), 413, "too_large")

    def test_too_large_body_without_matching_header_413(self, api_a, rf):
        from django.urls import resolve

        big = json.dumps({"events": [{"pad": "x" * (5 * 1024 * 1024 + 10)}]}).encode()
        request = rf.post("/api/v1/events", data=big, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {api_a.key}")
        request.META["CONTENT_LENGTH"] = "10"  # lies: the actual body is checked too
        request._body = big
        response = resolve("/api/v1/events").func(request)
        assert_error(response, 413)

    @pytest.mark.parametrize("body", ['{"nope": 1}', '{"events": {}}', '{"events": []}', "[1, 2]", '"x"',
                                      '{"events": "abc"}'])
    def test_invalid_envelope_422(self, api_a, body):
        assert_error(api_a.post(body=body), 422, "invalid_envelope")

    def test_more_than_1000_events_422(self, api_a):
        events = [submitted(f"C{i}") for i in range(1001)]
        assert_error(api_a.post(events), 422, "invalid_envelope")
        assert not Case.objects.exists()

    def test_exactly_1000_events_ok(self, api_a):
        events = [submitted(f"C{i}") for i in range(1000)]
        r = api_a.post(events)
        assert r.status_code == 200
        assert r.json()["accepted"] == 1000

    def test_rate_limit_429(self, api_a, api_b, settings):
        settings.XN_API_RATE_PER_MINUTE = 3
        for i in range(3):
            assert api_a.post([submitted(f"C{i}")]).status_code == 200
        r = api_a.post([submitted("C9")])
        assert_error(r, 429, "rate_limited")
        assert 1 <= int(r["Retry-After"]) <= 60
        assert api_b.post([submitted("B1", item="ITEM-DB-001", dept="DB")]).status_code == 200  # per system
        assert RateWindow.objects.filter(system__code="SYS-A").get().count == 4

    def test_rate_window_resets(self, system_a, settings):
        from xiaoneng.exchange import ratelimit

        settings.XN_API_RATE_PER_MINUTE = 1
        assert ratelimit.hit(system_a.pk, now=120.0) is None
        assert ratelimit.hit(system_a.pk, now=150.0) == 30
        assert ratelimit.hit(system_a.pk, now=180.0) is None
        assert ratelimit.prune(now=400.0) == 2


# --- every type, every error code ---------------------------------------------------------------------------


def lifecycle(case_no="C1"):
    """One case through every non-terminal type plus decided/delivered (ordered by occurred_at)."""
    return [
        submitted(case_no, at=ts(0)),
        event(case_no, "correction_requested", "e2", at=ts(10), payload={"materials": ["身份证明"]}),
        event(case_no, "correction_completed", "e3", at=ts(20)),
        event(case_no, "accepted", "e4", at=ts(30)),
        event(case_no, "step_completed", "e5", at=ts(40), payload={"step": "accept", "outcome": "pass",
                                                                   "opinion": "同意"}),
        event(case_no, "suspended", "e6", at=ts(50), payload={"reason": "expert_review", "workdays": 3}),
        event(case_no, "resumed", "e7", at=ts(60), payload={"result": "专家评审通过"}),
        event(case_no, "extended", "e8", at=ts(70), payload={"workdays": 5, "approver": "王局长"}),
        event(case_no, "fee_charged", "e9", at=ts(80), payload={"fee_code": "F01", "amount": "10.00"}),
        event(case_no, "decided", "e10", at=ts(90), payload={"result": "approved", "document_no": "许字001号"}),
        event(case_no, "delivered", "e11", at=ts(100), payload={"method": "window"}),
    ]


@pytest.mark.django_db
class TestTypes:
    def test_every_type_accepted(self, api_a):
        events = lifecycle("C1") + [
            submitted("C2"), event("C2", "rejected", "C2-rej", payload={"reason": "不属于受理范围"}),
            submitted("C3"), event("C3", "withdrawn", "C3-wd", payload={"reason": "申请人撤回"}),
        ]
        assert {e["type"] for e in events} == set(CONTRACT_TYPES)
        r = api_a.post(events)
        assert r.status_code == 200
        body = r.json()
        assert body["accepted"] == len(events), body
        assert [x["event_id"] for x in body["results"]] == [e["event_id"] for e in events]
        case = Case.objects.get(case_no="C1")
        assert case.status == "delivered" and case.result == "approved" and case.document_no == "许字001号"
        assert case.extended_days == 5 and case.source_system == "SYS-A"
        assert Case.objects.get(case_no="C2").status == "rejected"
        assert Case.objects.get(case_no="C3").status == "withdrawn"
        # personal data: the ID number is never stored in clear in the log
        assert "330122199001011234" not in json.dumps(list(CaseEvent.objects.values_list("payload", flat=True)))

    def test_denied_needs_reason(self, api_a):
        r = api_a.post([submitted("C1"), event("C1", "accepted", "a"),
                        event("C1", "decided", "d", payload={"result": "denied"})])
        res = r.json()["results"][2]
        assert res["status"] == "rejected" and res["error"] == {
            "code": "invalid_field", "field": "payload.reason", "message": res["error"]["message"]}


def _by_id(body):
    return {r["event_id"]: r for r in body["results"]}


@pytest.mark.django_db
class TestErrorCodes:
    @pytest.fixture
    def owned_by_b(self, api_b, system_a):
        # a DB case reported by system B; system A is then bound to DB as well but does not own it
        api_b.post([submitted("B1", item="ITEM-DB-001", dept="DB")])
        from xiaoneng.org.models import Department

        system_a.departments.add(Department.objects.get(code="DB"))

    def test_every_error_code(self, api_a, owned_by_b):
        api_a.post([submitted("C1", "dup-me")])
        future = (timezone.now() + timedelta(minutes=30)).isoformat()
        bad = [
            ({**submitted("X1", "inv"), "occurred_at": "2026-10-08 09:30:00"}, "invalid_field", "occurred_at"),
            ({**submitted("X2", "typ"), "type": "teleported"}, "unknown_type", "type"),
            (submitted("X3", "itm", item="NOPE"), "unknown_item", "item_code"),
            (submitted("X4", "dpt", dept="NOPE"), "unknown_department", "department"),
            (submitted("X5", "nal", item="ITEM-DB-001", dept="DB"), None, None),  # allowed now (bound to DB)
            (event("C1", "step_completed", "stp", payload={"step": "nosuch"}), "unknown_step", "payload.step"),
            (event("B1", "accepted", "own"), "case_owned_by_other_system", "case_no"),
            (event("NEVER", "accepted", "cnf"), "case_not_found", "case_no"),
            ({**submitted("C1", "dup-me"), "payload": {"channel": "online"}}, "event_id_conflict", "event_id"),
            (submitted("X6", "fut", at=future), "occurred_in_future", "occurred_at"),
        ]
        r = api_a.post([e for e, _, _ in bad])
        results = _by_id(r.json())
        for e, code, fld in bad:
            res = results[e["event_id"]]
            if code is None:
                assert res["status"] == "accepted"
                continue
            assert res["status"] == "rejected", (code, res)
            assert res["error"]["code"] == code
            assert res["error"]["field"] == fld
            assert res["error"]["message"]

    def test_department_not_allowed(self, api_a):
        r = api_a.post([submitted("X5", "nal", item="ITEM-DB-001", dept="DB")])
        res = r.json()["results"][0]
        assert res["error"]["code"] == "department_not_allowed" and res["error"]["field"] == "department"

    @pytest.mark.parametrize("mutate,field", [
        (lambda e: e.pop("event_id"), "event_id"),
        (lambda e: e.update(event_id=""), "event_id"),
        (lambda e: e.update(event_id="x" * 65), "event_id"),
        (lambda e: e.update(event_id=17), "event_id"),
        (lambda e: e.update(case_no="x" * 65), "case_no"),
        (lambda e: e.pop("case_no"), "case_no"),
        (lambda e: e.pop("type"), "type"),
        (lambda e: e.update(occurred_at="2026-10-08T09:30:00"), "occurred_at"),  # no offset
        (lambda e: e.update(occurred_at="yesterday"), "occurred_at"),
        (lambda e: e.update(occurred_at="2026-02-30T09:30:00+08:00"), "occurred_at"),
        (lambda e: e.pop("item_code"), "item_code"),
        (lambda e: e.pop("department"), "department"),
        (lambda e: e.update(payload=[1]), "payload"),
        (lambda e: e.update(payload={"channel": "fax"}), "payload.channel"),
        (lambda e: e.update(payload={"applicant": {"type": "alien", "name": "x"}}), "payload.applicant.type"),
        (lambda e: e.update(actor="someone"), "actor"),
    ])
    def test_invalid_field_on_submitted(self, api_a, mutate, field):
        e = submitted("C1", "evt")
        mutate(e)
        res = api_a.post([e]).json()["results"][0]
        assert res["status"] == "rejected"
        assert res["error"]["code"] == "invalid_field" and res["error"]["field"] == field

    @pytest.mark.parametrize("type_,payload,field", [
        ("accepted", None, "actor"),
        ("rejected", {}, "payload.reason"),
        ("correction_requested", {"materials": []}, "payload.materials"),
        ("correction_requested", {"materials": [1]}, "payload.materials"),
        ("step_completed", {"outcome": "pass"}, "payload.step"),
        ("step_completed", {"step": "accept", "outcome": "maybe"}, "payload.outcome"),
        ("suspended", {"reason": "holiday", "workdays": 2}, "payload.reason"),
        ("suspended", {"reason": "hearing", "workdays": 0}, "payload.workdays"),
        ("extended", {"workdays": "many"}, "payload.workdays"),
        ("fee_charged", {"fee_code": "F01", "amount": 120}, "payload.amount"),
        ("fee_charged", {"fee_code": "F01", "amount": "1.234"}, "payload.amount"),
        ("fee_charged", {"amount": "1.00"}, "payload.fee_code"),
        ("decided", {"result": "ok"}, "payload.result"),
        ("delivered", {"method": "pigeon"}, "payload.method"),
    ])
    def test_invalid_payloads(self, api_a, type_, payload, field):
        api_a.post([submitted("C1")])
        e = event("C1", type_, "evt", payload=payload)
        if type_ == "accepted":
            e.pop("actor")
        res = api_a.post([e]).json()["results"][0]
        assert res["status"] == "rejected"
        assert res["error"]["code"] == "invalid_field" and res["error"]["field"] == field, res

    def test_non_object_event(self, api_a):
        body = api_a.post(["just a string", 42, None]).json()
        assert body["rejected"] == 3
        assert all(r["error"]["code"] == "invalid_field" and r["event_id"] == "" for r in body["results"])
        assert QuarantinedEvent.objects.filter(raw="just a string").exists()


# --- idempotency and order -------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestIdempotencyAndOrder:
    def test_retry_is_duplicate(self, api_a):
        events = lifecycle("C1")
        assert api_a.post(events).json()["accepted"] == len(events)
        again = api_a.post(events).json()
        assert again["duplicate"] == len(events) and again["accepted"] == 0
        assert CaseEvent.objects.count() == len(events)
        assert not QuarantinedEvent.objects.exists()

    def test_duplicate_within_one_batch(self, api_a):
        body = api_a.post([submitted("C1"), submitted("C1")]).json()
        assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]

    def test_same_event_id_other_system_is_independent(self, api_a, api_b):
        api_a.post([submitted("C1", "same")])
        body = api_b.post([submitted("C2", "same", item="ITEM-DB-001", dept="DB")]).json()
        assert body["accepted"] == 1

    def test_conflict_is_rejected_and_quarantined(self, api_a):
        api_a.post([submitted("C1", "e1")])
        other = submitted("C1", "e1", at=ts(1))
        body = api_a.post([other]).json()
        assert body["results"][0]["error"]["code"] == "event_id_conflict"
        q = QuarantinedEvent.objects.get()
        assert q.error_code == "event_id_conflict" and q.raw["occurred_at"] == other["occurred_at"]

    def test_out_of_order_arrival(self, api_a):
        events = lifecycle("C1")
        first, rest = events[:1], events[1:]
        assert api_a.post(first + list(reversed(rest))[:3]).json()["rejected"] == 0
        assert api_a.post(list(reversed(rest))[3:]).json()["rejected"] == 0
        case = Case.objects.get(case_no="C1")
        assert case.status == "delivered" and case.accepted_at is not None and case.extended_days == 5

    def test_same_case_in_any_order_gives_same_state(self, api_a, api_b, system_b):
        from xiaoneng.org.models import Department

        system_b.departments.add(Department.objects.get(code="DA"))
        events = lifecycle("C1")
        api_a.post(events)
        shuffled = [{**e, "case_no": "C2"} for e in events]
        shuffled = [shuffled[0]] + shuffled[1:][::-1]
        api_b.post(shuffled)
        c1, c2 = Case.objects.get(case_no="C1"), Case.objects.get(case_no="C2")
        for f in ("status", "result", "accepted_at", "decided_at", "elapsed_seconds", "promised_due",
                  "statutory_due", "extended_days"):
            assert getattr(c1, f) == getattr(c2, f), f

    def test_procedure_break_is_accepted(self, api_a):
        body = api_a.post([
            submitted("C1"),
            event("C1", "decided", "d", at=ts(5), payload={"result": "approved"}),  # decision before acceptance
        ]).json()
        assert body["accepted"] == 2
        assert Case.objects.get(case_no="C1").status == "decided"


# --- nothing silently dropped ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mixed_batch_accounts_for_every_event(api_a):
    api_a.post([submitted("OLD", "old-sub")])
    batch = [
        submitted("N1", "ok1"),
        submitted("OLD", "old-sub"),  # duplicate
        {**submitted("OLD", "old-sub"), "payload": {}},  # conflict
        {**submitted("N2", "bad-ts"), "occurred_at": "not a time"},
        {**submitted("N3", "bad-type"), "type": "nope"},
        submitted("N4", "bad-item", item="NOPE"),
        submitted("N5", "bad-dept", dept="NOPE"),
        submitted("N6", "not-allowed", item="ITEM-DB-001", dept="DB"),
        event("N1", "step_completed", "bad-step", payload={"step": "zzz"}),
        event("GHOST", "accepted", "no-case"),
        submitted("N7", "future", at=(timezone.now() + timedelta(hours=1)).isoformat()),
        event("N1", "accepted", "ok2"),
        "garbage",
    ]
    q_before = QuarantinedEvent.objects.count()
    r = api_a.post(batch)
    body = r.json()
    assert len(body["results"]) == len(batch)
    assert body["accepted"] + body["duplicate"] + body["rejected"] == len(batch)
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 1, 10)
    rejected = [x for x in body["results"] if x["status"] == "rejected"]
    rows = list(QuarantinedEvent.objects.order_by("pk"))[q_before:]
    assert len(rows) == len(rejected)
    assert sorted(x["quarantine_id"] for x in rejected) == [row.pk for row in rows]
    assert {row.error_code for row in rows} == {
        "event_id_conflict", "invalid_field", "unknown_type", "unknown_item", "unknown_department",
        "department_not_allowed", "unknown_step", "case_not_found", "occurred_in_future"}
    for row in rows:
        assert row.system.code == "SYS-A" and row.status == "open" and row.raw is not None
    # the raw ID number is kept encrypted in quarantine, never in clear
    assert "330122199001011234" not in json.dumps([row.raw for row in rows])


@pytest.mark.django_db
def test_unstorable_text_is_a_per_event_rejection(api_a):
    """NUL characters and unpaired surrogates (valid JSON escapes) cannot be stored: invalid_field, not a 500."""
    body = ('{"events": [' + json.dumps(submitted("OK1")) + ','
            '{"event_id": "a\\u0000b", "case_no": "C2", "type": "submitted", "occurred_at": "2026-01-05T09:00:00Z",'
            ' "item_code": "ITEM-DA-001", "department": "DA"},'
            '{"event_id": "e3", "case_no": "C3\\ud883", "type": "submitted", "occurred_at": "2026-01-05T09:00:00Z",'
            ' "item_code": "ITEM-DA-001", "department": "DA", "payload": {"x\\u0000": 1}}]}')
    r = api_a.post(body=body)
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["accepted", "rejected", "rejected"]
    assert results[1]["error"]["field"] == "event_id" and results[1]["event_id"] == "a\\x00b"
    assert results[2]["error"]["code"] == "invalid_field"
    rows = QuarantinedEvent.objects.order_by("pk")
    assert rows.count() == 2 and "_unstorable_json" in rows[0].raw
    assert json.loads(rows[0].raw["_unstorable_json"])["event_id"] == "a\x00b"
    for path in ("/api/v1/cases/a%00b", "/api/v1/items/a%00b", "/api/v1/items?department=%00",
                 "/api/v1/alerts?rule=%00"):
        assert api_a.get(path).status_code in (404, 422), path
