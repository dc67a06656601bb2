"""Event-log export for process mining: IEEE 1849 XES and OCEL 2.0 (JSON), both streamed.

XES: one trace per case (``concept:name`` = case number, with item and department attributes), one event per
case event with ``concept:name`` (the activity: the event type, or ``step_completed:<step>``),
``lifecycle:transition`` (suspend / resume / complete), ``org:resource`` (the actor), ``time:timestamp``.
OCEL 2.0: object types case, department and item; events related to their case (qualifier ``case``), the
handling department (``handled_by``) and the item (``instance_of``); cases related to their department and item.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

from xiaoneng.cases.models import CaseEvent, EventType

LIFECYCLE = {"suspended": "suspend", "resumed": "resume"}


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _events(date_from: datetime | None, date_to: datetime | None, department: str | None):
    qs = CaseEvent.objects.all()
    if date_from:
        qs = qs.filter(occurred_at__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__lt=date_to)
    if department:
        qs = qs.filter(case__department__code=department)
    return qs


def activity(type_: str, payload) -> str:
    if type_ == "step_completed" and isinstance(payload, dict) and payload.get("step"):
        return f"step_completed:{payload['step']}"
    return type_


def _attr(kind: str, key: str, value) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def write_xes(out: IO[str], *, date_from=None, date_to=None, department=None, chunk_size: int = 5000) -> int:
    """Stream the log as XES; returns the number of events written."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<log xes.version="1849-2016" xes.features="nested-attributes" '
              'xmlns="http://www.xes-standard.org/">\n')
    for name, prefix in (("Concept", "concept"), ("Lifecycle", "lifecycle"), ("Organizational", "org"),
                         ("Time", "time")):
        out.write(f'  <extension name="{name}" prefix="{prefix}" uri="http://www.xes-standard.org/{prefix}.xesext"/>\n')
    out.write('  <global scope="trace">' + _attr("string", "concept:name", "UNKNOWN") + "</global>\n")
    out.write('  <global scope="event">' + _attr("string", "concept:name", "UNKNOWN")
              + _attr("string", "lifecycle:transition", "complete")
              + _attr("date", "time:timestamp", "1970-01-01T00:00:00.000Z") + "</global>\n")
    out.write('  <classifier name="Activity" keys="concept:name"/>\n')
    out.write('  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>\n')
    out.write("  " + _attr("string", "concept:name", "Xiaoneng case event log") + "\n")
    rows = (_events(date_from, date_to, department)
            .order_by("case__case_no", "occurred_at", "seq")
            .values_list("case__case_no", "case__item__code", "case__department__code", "type", "occurred_at",
                         "actor_name", "actor_id", "source_system", "event_id", "payload"))
    current = None
    count = 0
    for case_no, item, dept, type_, occurred_at, actor_name, actor_id, source, event_id, payload in rows.iterator(
            chunk_size=chunk_size):
        if case_no != current:
            if current is not None:
                out.write("  </trace>\n")
            out.write("  <trace>" + _attr("string", "concept:name", case_no) + _attr("string", "item", item)
                      + _attr("string", "department", dept) + "\n")
            current = case_no
        parts = [_attr("string", "concept:name", activity(type_, payload)),
                 _attr("string", "lifecycle:transition", LIFECYCLE.get(type_, "complete"))]
        if actor_name or actor_id:
            parts.append(_attr("string", "org:resource", actor_name or actor_id))
        parts.append(_attr("date", "time:timestamp", _ts(occurred_at)))
        parts.append(_attr("string", "xn:type", type_))
        if source:
            parts.append(_attr("string", "xn:source_system", source))
        parts.append(_attr("string", "xn:event_id", event_id))
        out.write("    <event>" + "".join(parts) + "</event>\n")
        count += 1
    if current is not None:
        out.write("  </trace>\n")
    out.write("</log>\n")
    return count


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write_array(out: IO[str], items: Iterator[dict]) -> int:
    out.write("[")
    n = 0
    for item in items:
        out.write(("," if n else "") + "\n  " + _json(item))
        n += 1
    out.write("\n ]" if n else "]")
    return n


def write_ocel(out: IO[str], *, date_from=None, date_to=None, department=None, chunk_size: int = 5000) -> int:
    """Stream the log as OCEL 2.0 JSON; returns the number of events written."""
    from xiaoneng.cases.models import Case
    from xiaoneng.catalog.models import Item
    from xiaoneng.org.models import Department

    events = _events(date_from, date_to, department)
    object_types = [
        {"name": "case", "attributes": [{"name": "item", "type": "string"}, {"name": "department", "type": "string"},
                                        {"name": "channel", "type": "string"},
                                        {"name": "source_system", "type": "string"}]},
        {"name": "department", "attributes": [{"name": "name", "type": "string"},
                                              {"name": "region", "type": "string"}]},
        {"name": "item", "attributes": [{"name": "name", "type": "string"}, {"name": "type", "type": "string"}]},
    ]
    event_types = [{"name": t, "attributes": [{"name": "actor", "type": "string"},
                                              {"name": "source_system", "type": "string"},
                                              {"name": "step", "type": "string"}]} for t in EventType.values]
    case_ids = events.values("case_id")
    epoch = "1970-01-01T00:00:00Z"

    def objects():
        cases = (Case.objects.filter(pk__in=case_ids).order_by("case_no")
                 .values_list("case_no", "item__code", "department__code", "channel", "source_system"))
        for case_no, item, dept, channel, source in cases.iterator(chunk_size=chunk_size):
            yield {"id": f"case:{case_no}", "type": "case",
                   "attributes": [{"name": "item", "time": epoch, "value": item},
                                  {"name": "department", "time": epoch, "value": dept},
                                  {"name": "channel", "time": epoch, "value": channel},
                                  {"name": "source_system", "time": epoch, "value": source}],
                   "relationships": [{"objectId": f"department:{dept}", "qualifier": "handled_by"},
                                     {"objectId": f"item:{item}", "qualifier": "instance_of"}]}
        for code, name, region in (Department.objects.filter(cases__in=case_ids).distinct().order_by("code")
                                   .values_list("code", "name", "region__code")):
            yield {"id": f"department:{code}", "type": "department",
                   "attributes": [{"name": "name", "time": epoch, "value": name},
                                  {"name": "region", "time": epoch, "value": region}]}
        for code, name, type_, dept in (Item.objects.filter(cases__in=case_ids).distinct().order_by("code")
                                        .values_list("code", "name", "item_type", "department__code")):
            yield {"id": f"item:{code}", "type": "item",
                   "attributes": [{"name": "name", "time": epoch, "value": name},
                                  {"name": "type", "time": epoch, "value": type_}],
                   "relationships": [{"objectId": f"department:{dept}", "qualifier": "implemented_by"}]}

    def ocel_events():
        rows = (events.order_by("occurred_at", "pk")
                .values_list("pk", "type", "occurred_at", "actor_name", "actor_id", "source_system", "payload",
                             "case__case_no", "case__department__code", "case__item__code"))
        for pk, type_, occurred_at, actor_name, actor_id, source, payload, case_no, dept, item in rows.iterator(
                chunk_size=chunk_size):
            attributes = [{"name": "actor", "value": actor_name or actor_id},
                          {"name": "source_system", "value": source}]
            if type_ == "step_completed" and isinstance(payload, dict):
                attributes.append({"name": "step", "value": str(payload.get("step", ""))})
            yield {"id": f"e{pk}", "type": type_, "time": _ts(occurred_at), "attributes": attributes,
                   "relationships": [{"objectId": f"case:{case_no}", "qualifier": "case"},
                                     {"objectId": f"department:{dept}", "qualifier": "handled_by"},
                                     {"objectId": f"item:{item}", "qualifier": "instance_of"}]}

    out.write("{\n \"objectTypes\": " + _json(object_types) + ",\n \"eventTypes\": " + _json(event_types)
              + ",\n \"objects\": ")
    _write_array(out, objects())
    out.write(",\n \"events\": ")
    n = _write_array(out, ocel_events())
    out.write("\n}\n")
    return n


def export_log(fmt: str, path: Path, **filters) -> int:
    writer = {"xes": write_xes, "ocel": write_ocel}[fmt]
    with open(path, "w", encoding="utf-8") as fh:
        return writer(fh, **filters)
