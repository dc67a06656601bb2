"""Snapshots (deterministic, checksummed) and the XES / OCEL 2.0 event-log exports."""

import csv
import hashlib
import itertools
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from tests.exchange.conftest import event, submitted, ts
from xiaoneng.cases.models import CaseEvent

XES = "{http://www.xes-standard.org/}"


@pytest.fixture
def data(api_a, api_b):
    api_a.post([submitted("C1", at=ts(0)), event("C1", "accepted", "a1", at=ts(5)),
                event("C1", "step_completed", "s1", at=ts(30), payload={"step": "accept"}),
                event("C1", "suspended", "s2", at=ts(40), payload={"reason": "hearing", "workdays": 2}),
                event("C1", "resumed", "s3", at=ts(50)),
                submitted("C2", at=ts(1))])
    api_b.post([submitted("B1", item="ITEM-DB-001", dept="DB", at=ts(2))])
    return api_a


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_snapshot_is_deterministic_and_cut_off(data, tmp_path):
    cutoff = timezone.now()
    later = cutoff + timedelta(seconds=1)
    CaseEvent.objects.filter(event_id="s3").update(received_at=later)  # arrived after the cut-off
    # (only for the test: simulate a late arrival; the event log is append-only for the application)
    manifest = json.loads(run("snapshot", "--cutoff", cutoff.isoformat(), "--out", str(tmp_path / "a"), "--json"))
    data.post([submitted("C3", at=ts(3)), event("C2", "accepted", "late", at=ts(6))])  # after the cut-off
    run("snapshot", "--cutoff", cutoff.isoformat(), "--out", str(tmp_path / "b"))
    for name in ("cases.csv", "events.csv", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert manifest["files"]["cases.csv"]["rows"] == 3
    assert manifest["files"]["events.csv"]["rows"] == 6
    for name, info in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest() == info["sha256"]
    with open(tmp_path / "a" / "cases.csv", encoding="utf-8") as fh:
        cases = {r["case_no"]: r for r in csv.DictReader(fh)}
    assert set(cases) == {"C1", "C2", "B1"}
    assert cases["C1"]["status"] == "suspended" and cases["C1"]["events"] == "4"  # resumed came later
    assert cases["C2"]["status"] == "submitted" and cases["B1"]["department"] == "DB"
    with open(tmp_path / "a" / "events.csv", encoding="utf-8") as fh:
        events = list(csv.DictReader(fh))
    assert "330122199001011234" not in (tmp_path / "a" / "events.csv").read_text()
    c1 = [e for e in events if e["case_no"] == "C1"]
    assert [int(e["seq"]) for e in c1] == [1, 2, 3, 4]
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(c1))
    assert {e["backfilled"] for e in events} == {"false"}  # reported through the API, not a bulk import
    with pytest.raises(CommandError):
        run("snapshot", "--cutoff", "soon", "--out", str(tmp_path / "c"))


@pytest.mark.django_db
def test_xes_export_parses_and_has_the_extensions(data, tmp_path):
    out = tmp_path / "log.xes"
    assert json.loads(run("export-log", "--format", "xes", "--out", str(out), "--json"))["events"] == 7
    root = etree.parse(str(out)).getroot()
    assert root.tag == XES + "log"
    prefixes = {e.get("prefix"): e.get("uri") for e in root.findall(XES + "extension")}
    assert set(prefixes) == {"concept", "lifecycle", "org", "time"}
    traces = root.findall(XES + "trace")
    names = {t.find(XES + "string[@key='concept:name']").get("value"): t for t in traces}
    assert set(names) == {"C1", "C2", "B1"}
    c1 = names["C1"].findall(XES + "event")
    activities = [e.find(XES + "string[@key='concept:name']").get("value") for e in c1]
    assert activities == ["submitted", "accepted", "step_completed:accept", "suspended", "resumed"]
    transitions = [e.find(XES + "string[@key='lifecycle:transition']").get("value") for e in c1]
    assert transitions == ["complete", "complete", "complete", "suspend", "resume"]
    stamps = [e.find(XES + "date[@key='time:timestamp']").get("value") for e in c1]
    assert stamps == sorted(stamps) and all(s.endswith("Z") for s in stamps)
    assert c1[1].find(XES + "string[@key='org:resource']").get("value") == "李四"
    # filters
    run("export-log", "--format", "xes", "--out", str(out), "--department", "DB")
    root = etree.parse(str(out)).getroot()
    assert [t.find(XES + "string[@key='concept:name']").get("value") for t in root.findall(XES + "trace")] == ["B1"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "wrote 0 events" in run("export-log", "--format", "xes", "--out", str(out), "--from", tomorrow)
    with pytest.raises(CommandError):
        run("export-log", "--format", "xes", "--out", str(out), "--to", "whenever")


@pytest.mark.django_db
def test_ocel_export(data, tmp_path):
    out = tmp_path / "log.json"
    run("export-log", "--format", "ocel", "--out", str(out))
    doc = json.loads(out.read_text())
    assert {t["name"] for t in doc["objectTypes"]} == {"case", "department", "item"}
    assert {"submitted", "step_completed"} <= {t["name"] for t in doc["eventTypes"]}
    objects = {o["id"]: o for o in doc["objects"]}
    assert {"case:C1", "case:C2", "case:B1", "department:DA", "department:DB", "item:ITEM-DA-001"} <= set(objects)
    assert {"objectId": "department:DA", "qualifier": "handled_by"} in objects["case:C1"]["relationships"]
    assert len(doc["events"]) == 7
    ev = doc["events"][0]
    assert set(ev) == {"id", "type", "time", "attributes", "relationships"}
    assert {r["qualifier"] for r in ev["relationships"]} == {"case", "handled_by", "instance_of"}
    ids = set(objects)
    assert all(r["objectId"] in ids for e in doc["events"] for r in e["relationships"])
    times = [e["time"] for e in doc["events"]]
    assert times == sorted(times)
