"""The exchange command (systems, keys, quarantine, replay) and correct-and-replay of quarantined events."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.exchange.conftest import submitted
from xiaoneng.cases.models import Case
from xiaoneng.exchange import quarantine
from xiaoneng.exchange.keys import authenticate
from xiaoneng.exchange.models import ApiKey, QuarantinedEvent, SourceSystem


def run(*args):
    out = StringIO()
    call_command("exchange", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_add_rotate_revoke(county):
    data = json.loads(run("add-system", "--name", "A局系统", "--code", "A1", "--department", "DA",
                          "--department", "DB", "--json"))
    key = data["key"]
    assert key.startswith("xn_") and authenticate(key).code == "A1"
    system = SourceSystem.objects.get(code="A1")
    assert sorted(system.departments.values_list("code", flat=True)) == ["DA", "DB"]
    stored = ApiKey.objects.get(system=system)
    assert stored.prefix == key.split("_")[1] and key not in stored.key_hash  # only the hash is stored
    new = json.loads(run("rotate-key", "A1", "--json"))["key"]
    assert authenticate(key) is None and authenticate(new).code == "A1"
    assert "revoked 1" in run("revoke", "A1")
    assert authenticate(new) is None
    text = run("add-system", "--name", "B", "--code", "B1", "--department", "DB")
    assert "xn_" in text
    with pytest.raises(CommandError):
        run("add-system", "--name", "X", "--code", "X1", "--department", "NOPE")
    with pytest.raises(CommandError):
        run("add-system", "--name", "X", "--code", "A1", "--department", "DA")
    with pytest.raises(CommandError):
        run("rotate-key", "NOPE")


@pytest.mark.django_db
def test_correct_and_replay(api_a):
    api_a.post([submitted("C1", "e1", item="ITEM-WRONG"), submitted("C2", "e2", dept="NOPE"),
                {"event_id": "e3", "case_no": "C3", "type": "bogus", "occurred_at": "x"}])
    listed = json.loads(run("quarantine", "--json"))
    assert listed["total"] == 3
    assert {r["error"]["code"] for r in listed["results"]} == {"unknown_item", "unknown_department",
                                                               "unknown_type"}
    only = json.loads(run("quarantine", "--json", "--code", "unknown_item", "--system", "SYS-A"))
    assert only["total"] == 1
    row = QuarantinedEvent.objects.get(error_code="unknown_item")
    # the raw ID number is kept encrypted and restored on replay
    assert "id_no" not in row.raw["payload"]["applicant"] and row.raw["payload"]["applicant"]["id_no_cipher"]
    # replay unchanged: still rejected, with its own result in the history
    res = json.loads(run("replay", str(row.pk), "--json"))["results"][0]
    assert res["status"] == "rejected" and res["error"]["code"] == "unknown_item"
    row.refresh_from_db()
    assert row.status == "open" and len(row.history) == 1
    # correct, replay: accepted, the case exists with the applicant's encrypted ID number
    row.raw = {**row.raw, "item_code": "ITEM-DA-001"}
    row.save()
    res = json.loads(run("replay", str(row.pk), "--json"))["results"][0]
    assert res == {"id": row.pk, "event_id": "e1", "status": "accepted"}
    row.refresh_from_db()
    assert row.status == "replayed" and [h["status"] for h in row.history] == ["rejected", "accepted"]
    case = Case.objects.get(case_no="C1")
    assert case.source_system == "SYS-A" and case.applicant_id_masked.endswith("1234")
    # replaying again is idempotent: a duplicate
    assert quarantine.replay([row.pk])[0][1].status == "duplicate"
    assert "2 quarantined" in run("quarantine")
    with pytest.raises(CommandError):
        run("replay", "999999")
    n = quarantine.resolve([QuarantinedEvent.objects.get(error_code="unknown_type").pk], note="测试")
    assert n == 1 and "1 quarantined" in run("quarantine")


@pytest.mark.django_db
def test_admin_pages(api_a, admin_client):
    api_a.post([submitted("C1", "e1", item="ITEM-WRONG")])
    row = QuarantinedEvent.objects.get()
    assert admin_client.get("/admin/exchange/quarantinedevent/").status_code == 200
    assert admin_client.get(f"/admin/exchange/quarantinedevent/{row.pk}/change/").status_code == 200
    raw = {**row.raw, "item_code": "ITEM-DA-001"}
    r = admin_client.post(f"/admin/exchange/quarantinedevent/{row.pk}/change/",
                          {"raw": json.dumps(raw, ensure_ascii=False), "replay_now": "on"})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.status == "replayed" and Case.objects.filter(case_no="C1").exists()
    r = admin_client.post("/admin/exchange/sourcesystem/add/", {
        "code": "NEW", "name": "新系统", "departments": [], "is_active": "on",
        "keys-TOTAL_FORMS": "0", "keys-INITIAL_FORMS": "0"}, follow=True)
    assert r.status_code == 200
    assert "xn_" in r.content.decode() and SourceSystem.objects.filter(code="NEW").exists()
    system = SourceSystem.objects.get(code="NEW")
    r = admin_client.post("/admin/exchange/sourcesystem/", {"action": "rotate_key", "_selected_action": [system.pk]},
                          follow=True)
    assert "xn_" in r.content.decode() and ApiKey.objects.filter(system=system).count() == 2
    assert admin_client.get("/admin/exchange/importjob/").status_code == 200
    assert admin_client.get("/admin/exchange/importjob/upload/").status_code == 200
