"""Tamper evidence: the hash chain, ``audit verify`` and the daily digest."""

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases import audit, chain
from xiaoneng.cases.models import Case, CaseEvent, ChainDigest
from xiaoneng.cases.services import record_events
from xiaoneng.core import periodic

NOW = at(2025, 11, 3, 12)


@pytest.fixture
def two_cases(county):
    for no in ("H1", "H2"):
        record_events([submitted(no, at(2025, 11, 3, 9), county), ev(no, "accepted", at(2025, 11, 3, 10))],
                      received_at=NOW)
        record_events([ev(no, "step_completed", at(2025, 11, 3, 11), payload={"step": "accept"})],
                      received_at=NOW + timedelta(minutes=5))
    return Case.objects.order_by("case_no")


def test_chain_links_and_hashes(two_cases):
    case = two_cases[0]
    rows = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    prev = ""
    for r in rows:
        assert r.prev_hash == prev
        assert r.hash == chain.event_hash(
            case_no=case.case_no, seq=r.seq, source_system=r.source_system, event_id=r.event_id, type=r.type,
            occurred_at=r.occurred_at, received_at=r.received_at, actor_id=r.actor_id, actor_name=r.actor_name,
            acting_for=r.acting_for, payload=r.payload, prev_hash=prev)
        prev = r.hash
    assert case.last_hash == prev and case.event_count == 3


def test_events_are_append_only(two_cases):
    row = CaseEvent.objects.first()
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()


def _verify_json(capsys):
    try:
        call_command("audit", "verify", "--json")
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(capsys.readouterr().out)


def test_verify_passes_then_names_the_tampered_case(two_cases, capsys):
    code, data = _verify_json(capsys)
    assert code == 0 and data["ok"] and data["cases"] == 2 and data["events"] == 6
    victim = CaseEvent.objects.get(case__case_no="H2", seq=2)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET payload = %s WHERE id = %s", ['{"forged": true}', victim.pk])
    code, data = _verify_json(capsys)
    assert code == 1 and data["altered_cases"] == ["H2"]
    assert data["problems"] == [{"case_no": "H2", "seq": 2, "reason": "hash_mismatch"}]


def test_the_import_mark_is_hashed_and_every_other_hash_is_unchanged(county):
    from dataclasses import replace

    events = [submitted("IMP1", at(2025, 3, 3, 9), county), ev("IMP1", "accepted", at(2025, 3, 3, 10))]
    record_events([replace(e, backfilled=True) for e in events], received_at=NOW)
    rows = list(CaseEvent.objects.filter(case__case_no="IMP1").order_by("seq"))
    assert [r.backfilled for r in rows] == [True, True]
    fields = dict(case_no="IMP1", seq=1, source_system=rows[0].source_system, event_id=rows[0].event_id,
                  type="submitted", occurred_at=rows[0].occurred_at, received_at=rows[0].received_at,
                  actor_id=rows[0].actor_id, actor_name=rows[0].actor_name, acting_for=rows[0].acting_for,
                  payload=rows[0].payload, prev_hash="")
    assert rows[0].hash == chain.event_hash(**fields, backfilled=True) != chain.event_hash(**fields)
    assert audit.verify_chains().ok
    with connection.cursor() as cursor:  # unmarking history (to make it look reported in real time) shows
        cursor.execute("UPDATE cases_caseevent SET backfilled = %s WHERE id = %s", [False, rows[1].pk])
    assert [(p.case_no, p.seq, p.reason) for p in audit.verify_chains().problems] == [("IMP1", 2, "hash_mismatch")]


def test_verify_catches_deleted_tail_and_relinked_rows(two_cases):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 3", [two_cases[0].pk])
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 1", [two_cases[1].pk])
    report = audit.verify_chains()
    assert {(p.case_no, p.reason) for p in report.problems} == {("H1", "tail_mismatch"), ("H2", "seq_gap")}


def test_verify_text_output(two_cases, capsys):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET actor_name = 'x' WHERE case_id = %s AND seq = 1",
                       [two_cases[0].pk])
    with pytest.raises(SystemExit) as info:
        call_command("audit", "verify")
    assert info.value.code == 1
    assert "ALTERED H1 at seq 1: hash_mismatch" in capsys.readouterr().out


def test_daily_digest_is_idempotent_and_verified(two_cases, capsys):
    day = date(2025, 11, 3)
    call_command("audit", "digest", "--day", "2025-11-03", "--json")
    first = json.loads(capsys.readouterr().out)
    assert first["created"] and first["event_count"] == 6 and first["matches"]
    call_command("audit", "digest", "--day", "2025-11-03", "--json")
    again = json.loads(capsys.readouterr().out)
    assert not again["created"] and again["digest"] == first["digest"]
    assert ChainDigest.objects.get(day=day).digest == chain.day_digest(
        CaseEvent.objects.order_by("received_at", "pk").values_list("hash", flat=True))[1]
    # Rewriting a hash consistently is still caught by the stored digest.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET hash = %s WHERE id = %s", ["0" * 64, CaseEvent.objects.first().pk])
    report = audit.verify_digests()
    assert report.digest_mismatches == ["2025-11-03"]


def test_daily_job_is_registered_and_fills_gaps(two_cases):
    job = {j.name: j for j in periodic.jobs()}["cases.chain_digest"]
    assert job.interval_seconds == 24 * 3600
    assert audit.daily_digest(today=date(2025, 11, 6)) == 3  # 11-03, 11-04, 11-05
    assert audit.daily_digest(today=date(2025, 11, 6)) == 0
    assert list(ChainDigest.objects.order_by("day").values_list("event_count", flat=True)) == [6, 0, 0]


@pytest.mark.django_db
def test_bad_day_argument():
    from django.core.management.base import CommandError
    from django.utils import timezone

    with pytest.raises(CommandError):
        call_command("audit", "digest", "--day", "yesterday")
    with pytest.raises(CommandError):  # today is not finished: a digest now would not match tomorrow
        call_command("audit", "digest", "--day", timezone.localdate().isoformat())
    assert not ChainDigest.objects.exists()
