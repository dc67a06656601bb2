"""The single write path of case state: ``record_events`` (and its one-event wrappers).

Every change of a case — from the built-in workbench, the portal or an external system through the exchange
API — is an event appended here. In one transaction a batch is validated event by event (in array order; a
later event may use a case created by an earlier one), the accepted events are appended to their cases'
hash chains, and every touched case is re-derived from *all* its events (``compute_clock``): status,
timestamps, result, the clock fields, ``deadlines``, ``next_check_at`` and the ``CaseStep`` projection.
``cases.signals.events_recorded`` is sent inside the transaction with the accepted events.

Set-based: a batch costs a bounded number of queries whatever its size (prefetch the referenced cases,
items, versions, steps, departments and existing event ids; bulk insert the cases and events; one query for
all events of the touched cases; bulk update the cases and steps).

Personal data: the applicant's ``id_no`` in a ``submitted`` payload is encrypted onto the case
(``applicant_id_cipher``) and **never stored raw in the event log**: the stored payload carries the masked
form in ``applicant.id_no`` plus ``applicant.id_no_hmac`` (HMAC-SHA256 keyed from the field key). The content
hash that tells a retry (``duplicate``) from a different event (``event_id_conflict``) is computed over this
stored form, so a retry with the same ID number is a duplicate and one with a different number a conflict.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.catalog.models import Item, ItemVersion, Step, VersionStatus
from xiaoneng.core import crypto
from xiaoneng.core.sql import filter_in
from xiaoneng.org.models import Department, Post

from . import chain
from .bulk import JSONText, create_objects, insert_rows, loaded_instances, update_rows, update_values
from .clock import STORED_IN_COLUMNS, StepTerm, Terms, clock_event, compute_clock
from .models import (
    OPEN_STATUSES,
    ApplicantType,
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseStatus,
    CaseStep,
    Channel,
    EventType,
    StepStatus,
)
from .policy import current_policy
from .signals import events_recorded

__all__ = [
    "ERROR_CODES",
    "EventError",
    "EventRejected",
    "EventResult",
    "NewEvent",
    "next_case_no",
    "record_event",
    "record_event_or_raise",
    "record_events",
    "rederive_cases",
]

FUTURE_TOLERANCE = timedelta(minutes=5)
EVENT_TYPES = frozenset(EventType.values)
# The enumerations' ``values`` are rebuilt on every access: read once, and tested only against strings (a JSON
# list or object in a payload is unhashable, and never a member).
APPLICANT_TYPES = frozenset(ApplicantType.values)
CHANNELS = frozenset(Channel.values)
SPECIAL_REASONS = (
    "hearing", "tender", "auction", "inspection", "testing", "quarantine", "appraisal", "expert_review", "other",
)
ERROR_CODES = (
    "invalid_field",
    "unknown_type",
    "unknown_item",
    "unknown_department",
    "department_not_allowed",
    "unknown_step",
    "case_owned_by_other_system",
    "case_not_found",
    "event_id_conflict",
    "occurred_in_future",
)
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


# --- the API --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEvent:
    case_no: str
    type: str
    occurred_at: datetime
    event_id: str = ""  # idempotency key per source system; generated (uuid4 hex) when blank
    source_system: str = ""  # "" = the platform's own workbench / portal
    item_code: str = ""  # required (with department_code) on the event that first names the case
    department_code: str = ""
    actor_id: str = ""
    actor_name: str = ""
    acting_for: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    # Built-in paths only: channel, hall_id, applicant_user_id, agent_id, applicant_phone.
    case_fields: Mapping[str, Any] = field(default_factory=dict)
    backfilled: bool = False  # a bulk import of history (二次入录): see CaseEvent.backfilled


@dataclass(frozen=True)
class EventError:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class EventResult:
    event_id: str
    case_no: str
    status: str  # "accepted" | "duplicate" | "rejected"
    error: EventError | None = None


class EventRejected(Exception):
    def __init__(self, error: EventError, result: EventResult | None = None):
        super().__init__(error.message)
        self.error = error
        self.result = result


def record_events(
    events: Sequence[NewEvent],
    *,
    allowed_departments: Collection[str] | None = None,
    received_at: datetime | None = None,
    require_reasons: bool = True,
) -> list[EventResult]:
    """Validate and append ``events`` (in array order), re-derive the touched cases; one result per event.

    ``allowed_departments``: department codes the caller may report for (None = any).
    ``require_reasons=False`` accepts a rejection / denial without a reason (paths that cannot refuse an
    event, e.g. a historical import; supervision flags it as ``no_reason``).
    """
    return _run(events, allowed_departments, received_at, require_reasons).results


def record_event(event: NewEvent, **kw: Any) -> EventResult:
    return record_events([event], **kw)[0]


def record_event_or_raise(event: NewEvent, **kw: Any) -> Case:
    """Record one event for a UI path: the case (re-derived) or :class:`EventRejected`."""
    outcome = _run([event], kw.pop("allowed_departments", None), kw.pop("received_at", None),
                   kw.pop("require_reasons", True))
    result = outcome.results[0]
    if result.status == "rejected":
        raise EventRejected(result.error, result)
    case = outcome.cases.get(result.case_no)
    return case if case is not None else Case.objects.get(case_no=result.case_no)


def next_case_no(region_code: str, on: date | None = None) -> str:
    """A new case number: region code + YYYYMMDD + 6-digit daily sequence (unique, safe under concurrency)."""
    on = on or timezone.localdate()
    with transaction.atomic():
        counter, _created = CaseNumberCounter.objects.select_for_update().get_or_create(
            region_code=region_code, day=on
        )
        CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
        last = CaseNumberCounter.objects.filter(pk=counter.pk).values_list("last", flat=True).get()
    return f"{region_code}{on:%Y%m%d}{last:06d}"


def new_code(length: int = 8) -> str:
    """A random code over the 32-letter alphabet: 5 unbiased bits of one CSPRNG byte per letter (one system
    call for the whole code)."""
    return "".join([_CODE_ALPHABET[b & 31] for b in secrets.token_bytes(length)])


def id_no_hmac(value: str) -> str:
    return hmac.new(_hmac_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


@cache
def _hmac_key() -> bytes:
    material = (settings.XN_FIELD_KEY or settings.SECRET_KEY).encode()
    return hashlib.sha256(b"xiaoneng-id-hmac:" + material).digest()


# --- preparation (no database) --------------------------------------------------------------------------------


@dataclass
class _Prepared:
    index: int
    event: NewEvent
    event_id: str
    payload: dict[str, Any]
    raw_id_no: str
    content_hash: str
    payload_text: str  # canonical JSON of ``payload`` (both hashes and the stored row use it)


def _err(code: str, message: str, fld: str | None = None) -> EventError:
    return EventError(code, str(message), fld)


def _member(value: Any, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _int_at_least_one(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) >= 1
    return False


def _sanitise_payload(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Replace a raw ``applicant.id_no`` by its masked form + keyed hash; return (payload, raw id_no)."""
    applicant = payload.get("applicant")
    if not isinstance(applicant, dict):
        return payload, ""
    raw = applicant.get("id_no")
    if not isinstance(raw, str) or not raw.strip():
        return payload, ""
    raw = raw.strip()
    if "*" in raw and applicant.get("id_no_hmac"):  # already stored form (a replay of an exported event)
        return payload, ""
    applicant = {**applicant, "id_no": crypto.mask_id_no(raw), "id_no_hmac": id_no_hmac(raw)}
    return {**payload, "applicant": applicant}, raw


def _check_payload(t: str, p: Mapping[str, Any], require_reasons: bool) -> EventError | None:  # noqa: C901
    def bad(name: str, message: str) -> EventError:
        return _err("invalid_field", message, f"payload.{name}")

    if t == EventType.SUBMITTED:
        applicant = p.get("applicant")
        if applicant is not None:
            if not isinstance(applicant, Mapping):
                return bad("applicant", _("申请人信息必须是对象"))
            if not _text(applicant.get("name")):
                return bad("applicant.name", _("缺少申请人名称"))
            if applicant.get("type") not in (None, "") and not _member(applicant.get("type"), APPLICANT_TYPES):
                return bad("applicant.type", _("申请人类型必须是 person 或 organisation"))
            if applicant.get("id_no") not in (None, "") and not isinstance(applicant.get("id_no"), str):
                return bad("applicant.id_no", _("证件号码必须是字符串"))
        if p.get("channel") not in (None, "") and not _member(p.get("channel"), CHANNELS):
            return bad("channel", _("申报渠道必须是 window、online 或 agent"))
    elif t == EventType.REJECTED:
        if require_reasons and not _text(p.get("reason")):
            return bad("reason", _("不予受理必须说明理由"))
    elif t == EventType.CORRECTION_REQUESTED:
        materials = p.get("materials")
        if not isinstance(materials, list) or not materials or not all(_text(m) for m in materials):
            return bad("materials", _("补正告知必须一次性列明所需材料"))
    elif t == EventType.STEP_COMPLETED:
        if not _text(p.get("step")):
            return bad("step", _("缺少环节编码"))
        if p.get("outcome") not in (None, "pass", "return"):
            return bad("outcome", _("环节意见必须是 pass 或 return"))
    elif t == EventType.SUSPENDED:
        if p.get("reason") not in SPECIAL_REASONS:
            return bad("reason", _("特别程序事由无效"))
        if not _int_at_least_one(p.get("workdays")):
            return bad("workdays", _("特别程序申请天数必须是不小于1的整数"))
    elif t == EventType.EXTENDED:
        if not _int_at_least_one(p.get("workdays")):
            return bad("workdays", _("延期天数必须是不小于1的整数"))
    elif t == EventType.FEE_CHARGED:
        if not _text(p.get("fee_code")):
            return bad("fee_code", _("缺少收费编码"))
        amount = p.get("amount")
        try:
            if isinstance(amount, bool) or amount is None:
                raise InvalidOperation
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            return bad("amount", _("收费金额必须是十进制数字字符串"))
        if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
            return bad("amount", _("收费金额无效"))
    elif t == EventType.DECIDED:
        result = p.get("result")
        if result not in ("approved", "denied"):
            return bad("result", _("办理结果必须是 approved 或 denied"))
        if result == "denied" and require_reasons and not _text(p.get("reason")):
            return bad("reason", _("不予许可必须说明理由"))
        if p.get("document_no") not in (None, "") and not isinstance(p.get("document_no"), str):
            return bad("document_no", _("文书编号必须是字符串"))
    elif t == EventType.DELIVERED:
        if p.get("method") not in (None, "", "window", "mail", "online"):
            return bad("method", _("送达方式必须是 window、mail 或 online"))
    elif t == EventType.FORWARDED:
        if not _text(p.get("to_department")):
            return bad("to_department", _("缺少转报的上级部门"))
    return None


def _prepare(index: int, ev: NewEvent, received_at: datetime, require_reasons: bool) -> _Prepared | EventError:
    if ev.type not in EVENT_TYPES:
        return _err("unknown_type", _("未知的事件类型：%s") % ev.type, "type")
    if not isinstance(ev.case_no, str) or not 1 <= len(ev.case_no.strip()) <= 64 or ev.case_no != ev.case_no.strip():
        return _err("invalid_field", _("办件编号必须是1至64个字符"), "case_no")
    event_id = ev.event_id or uuid.uuid4().hex
    if not isinstance(event_id, str) or len(event_id) > 64:
        return _err("invalid_field", _("事件标识不能超过64个字符"), "event_id")
    for name, value in (("source_system", ev.source_system), ("actor.id", ev.actor_id),
                        ("actor.name", ev.actor_name), ("acting_for", ev.acting_for)):
        if not isinstance(value, str) or len(value) > 64:
            return _err("invalid_field", _("字段过长"), name)
    if len(ev.item_code or "") > 64 or len(ev.department_code or "") > 32:
        return _err("invalid_field", _("字段过长"), "item_code" if len(ev.item_code or "") > 64 else "department")
    if not isinstance(ev.occurred_at, datetime) or timezone.is_naive(ev.occurred_at):
        return _err("invalid_field", _("发生时间必须带时区"), "occurred_at")
    if ev.occurred_at > received_at + FUTURE_TOLERANCE:
        return _err("occurred_in_future", _("发生时间晚于接收时间5分钟以上"), "occurred_at")
    if ev.type != EventType.SUBMITTED and not (ev.actor_id or ev.actor_name):
        return _err("invalid_field", _("缺少经办人"), "actor")
    if not isinstance(ev.payload, Mapping):
        return _err("invalid_field", _("内容必须是对象"), "payload")
    if _json_native(ev.payload):
        payload = ev.payload  # reads back from a JSON column as it is (e.g. parsed from the exchange API)
    else:
        try:
            payload = chain.normalise_payload(ev.payload)
        except (TypeError, ValueError):
            return _err("invalid_field", _("内容无法序列化为JSON"), "payload")
    if error := _check_payload(ev.type, payload, require_reasons):
        return error
    payload, raw_id_no = _sanitise_payload(payload)
    text = chain.payload_json(payload)
    content = chain.content_hash(
        case_no=ev.case_no, type=ev.type, occurred_at=ev.occurred_at, actor_id=ev.actor_id,
        actor_name=ev.actor_name, acting_for=ev.acting_for, payload_text=text,
    )
    return _Prepared(index, ev, event_id, payload, raw_id_no, content, text)


_JSON_SCALARS = (str, int, bool, type(None))


def _json_native(value: Any, depth: int = 0) -> bool:
    """True if ``value`` is made of plain dicts (str keys), lists, str, int, bool, None and finite floats only,
    i.e. a JSON round trip would return it unchanged (so :func:`chain.normalise_payload` can be skipped)."""
    kind = type(value)
    if kind is dict:
        return depth < 32 and all(
            type(k) is str and (type(v) in _JSON_SCALARS or _json_native(v, depth + 1)) for k, v in value.items()
        )
    if kind is list:
        return depth < 32 and all(type(v) in _JSON_SCALARS or _json_native(v, depth + 1) for v in value)
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    return kind in _JSON_SCALARS


# --- the recorder ---------------------------------------------------------------------------------------------


class EventView(NamedTuple):
    """A stored event as the derivation and the per-event supervision rules read it."""

    type: str
    occurred_at: datetime
    payload: dict
    seq: int
    actor_name: str
    actor_id: str
    received_at: datetime
    backfilled: bool = False


@dataclass(slots=True)
class RecordedEvent:
    """An event appended by the current batch (what ``events_recorded`` receivers get in ``events``)."""

    case: Case
    seq: int
    source_system: str
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    actor_id: str
    actor_name: str
    acting_for: str
    payload: dict
    prev_hash: str
    hash: str
    payload_text: str = ""  # canonical JSON of ``payload`` (stored as is)
    backfilled: bool = False

    @property
    def case_id(self) -> int:
        return self.case.pk


_EVENT_COLUMNS = ("case", "region_code", "department", "seq", "source_system", "event_id", "type", "occurred_at",
                  "received_at", "actor_id", "actor_name", "acting_for", "payload", "backfilled", "prev_hash", "hash")


def _event_row(e: RecordedEvent) -> tuple:
    c = e.case
    return (c.pk, c.region_code, c.department_id, e.seq, e.source_system, e.event_id, e.type, e.occurred_at,
            e.received_at, e.actor_id, e.actor_name, e.acting_for,
            JSONText(e.payload_text) if e.payload_text else e.payload, e.backfilled, e.prev_hash, e.hash)


def load_histories(case_ids: Sequence[int]) -> dict[int, list[EventView]]:
    """Every stored event of ``case_ids`` (one query)."""
    history: dict[int, list[EventView]] = defaultdict(list)
    if case_ids:
        for row in filter_in(CaseEvent.objects.all(), "case_id", case_ids).values_list(
            "case_id", "type", "occurred_at", "payload", "seq", "actor_name", "actor_id", "received_at", "backfilled"
        ):
            history[row[0]].append(EventView(*row[1:]))
    return history


def _recorded_with_ids(prepared: Sequence[_Prepared]) -> list[tuple]:
    """The stored events that share a (source system, event id) with the batch (one query per source system;
    on PostgreSQL the ids are one array parameter rather than a thousand placeholders)."""
    by_system: dict[str, set[str]] = defaultdict(set)
    for p in prepared:
        by_system[p.event.source_system].add(p.event_id)
    connection = connections[router.db_for_read(CaseEvent)]
    if connection.vendor == "postgresql":
        return _recorded_with_ids_pg(connection, by_system)
    columns = ("source_system", "event_id", "case__case_no", "type", "occurred_at", "actor_id", "actor_name",
               "acting_for", "payload")
    rows: list[tuple] = []
    for system, event_ids in by_system.items():
        rows.extend(CaseEvent.objects.filter(source_system=system, event_id__in=list(event_ids))
                    .values_list(*columns))
    return rows


def _recorded_with_ids_pg(connection, by_system: Mapping[str, set[str]]) -> list[tuple]:
    """One probe of the unique index on (source_system, event_id) per id, whatever the statistics say: a
    ``LATERAL`` lookup per id of ``unnest(ids)``, not ``event_id = ANY(ids)`` (nor a plain join). With statistics
    older than the log (never analysed, or grown by an import since) the planner took the ids for unselective
    and read every event of the source system: 26 ms per batch at 80,000 events, 1.6 s at 4 million; the
    lateral lookup took 7 ms at 80,000 events."""
    e, c = CaseEvent._meta.db_table, Case._meta.db_table
    sql = (f"SELECT e.source_system, e.event_id, c.case_no, e.type, e.occurred_at, e.actor_id, e.actor_name, "  # noqa: S608 - table names from model meta
           f"e.acting_for, e.payload FROM unnest(%s::varchar[]) AS ids(event_id) CROSS JOIN LATERAL "
           f"(SELECT * FROM {e} x WHERE x.source_system = %s AND x.event_id = ids.event_id LIMIT 1) e "
           f"JOIN {c} c ON c.id = e.case_id")
    payload = CaseEvent._meta.get_field("payload")
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for system, event_ids in by_system.items():
            cursor.execute(sql, [list(event_ids), system])
            rows.extend((*row[:8], payload.from_db_value(row[8], None, connection)) for row in cursor.fetchall())
    return rows


@cache
def _lock_attnames() -> tuple[str, ...]:
    return tuple(f.attname for f in Case._meta.concrete_fields if f.name not in _CASE_UPDATE_FIELDS)


def _lock_cases(case_nos: Collection[str]) -> dict[str, Case]:
    """The batch's existing cases, locked in id order, with their item version and department attached
    (read apart: a handful of distinct rows instead of two more model instances per case). The derived fields
    (status, timestamps, clock, deadlines …) are not read: every case the batch touches is re-derived, which
    sets them all before anything reads them."""
    qs = Case.objects.select_for_update(of=("self",)).order_by("pk")
    attnames = _lock_attnames()
    cases = loaded_instances(Case, attnames, filter_in(qs, "case_no", case_nos).values_list(*attnames), qs.db)
    if not cases:
        return {}
    versions = ItemVersion.objects.in_bulk({c.item_version_id for c in cases})
    departments = Department.objects.in_bulk({c.department_id for c in cases})
    for c in cases:
        c.item_version, c.department = versions[c.item_version_id], departments[c.department_id]
    return {c.case_no: c for c in cases}


@dataclass
class _CaseState:
    case: Case
    version: ItemVersion
    steps: list[Step]
    is_new: bool
    seq: int
    last_hash: str
    new_events: list[RecordedEvent] = field(default_factory=list)
    applicant_touched: bool = False  # a ``submitted`` was appended: the applicant columns may have changed


@dataclass
class _Outcome:
    results: list[EventResult]
    cases: dict[str, Case]


def _run(events, allowed_departments, received_at, require_reasons) -> _Outcome:
    received_at = received_at or timezone.now()
    allowed = None if allowed_departments is None else frozenset(allowed_departments)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _Recorder(list(events), allowed, received_at, require_reasons).run()
        except IntegrityError:
            # A concurrent batch created one of our new cases (same case_no) or recorded one of our event ids
            # first: the retry sees its rows (locks the case, reports the duplicate).
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class _Recorder:
    def __init__(self, events: list[NewEvent], allowed, received_at: datetime, require_reasons: bool):
        self.events = events
        self.allowed = allowed
        self.received_at = received_at
        self.require_reasons = require_reasons

    def run(self) -> _Outcome:
        results: list[EventResult | None] = [None] * len(self.events)
        prepared: list[_Prepared] = []
        for i, ev in enumerate(self.events):
            p = _prepare(i, ev, self.received_at, self.require_reasons)
            if isinstance(p, EventError):
                results[i] = EventResult(ev.event_id or "", getattr(ev, "case_no", ""), "rejected", p)
            else:
                prepared.append(p)
        if not prepared:
            return _Outcome(results, {})

        # Prefetch (a fixed number of queries).
        case_nos = {p.event.case_no for p in prepared}
        item_codes = {p.event.item_code for p in prepared if p.event.item_code}
        dept_codes = {p.event.department_code for p in prepared if p.event.department_code}
        dept_codes |= {
            p.payload["to_department"] for p in prepared if p.event.type == EventType.FORWARDED
        }
        existing_keys: dict[tuple[str, str], tuple[str, str]] = {}
        for ss, eid, cno, typ, occ, aid, aname, afor, payload in _recorded_with_ids(prepared):
            existing_keys[(ss, eid)] = (cno, chain.content_hash(
                case_no=cno, type=typ, occurred_at=occ, actor_id=aid, actor_name=aname, acting_for=afor,
                payload=payload,
            ))
        cases = _lock_cases(case_nos)
        items = (
            {i.code: i for i in Item.objects.select_related("current_version").filter(code__in=item_codes)}
            if item_codes else {}
        )
        depts = (
            {d.code: d for d in Department.objects.select_related("region").filter(code__in=dept_codes)}
            if dept_codes else {}
        )
        version_ids = {c.item_version_id for c in cases.values()}
        version_ids |= {i.current_version_id for i in items.values() if i.current_version_id}
        steps_by_version = _steps_by_version(version_ids)

        # Validate and append, in array order.
        states: dict[str, _CaseState] = {}
        batch_keys: dict[tuple[str, str], tuple[str, str]] = {}
        accepted: list[RecordedEvent] = []
        for p in prepared:
            ev = p.event
            key = (ev.source_system, p.event_id)
            prior = batch_keys.get(key) or existing_keys.get(key)
            if prior is not None:
                if prior[1] == p.content_hash:
                    results[p.index] = EventResult(p.event_id, prior[0], "duplicate")
                else:
                    results[p.index] = EventResult(p.event_id, ev.case_no, "rejected", _err(
                        "event_id_conflict", _("同一事件标识已用于内容不同的事件"), "event_id"))
                continue
            outcome = self._resolve(p, cases, states, items, depts, steps_by_version)
            if isinstance(outcome, EventError):
                results[p.index] = EventResult(p.event_id, ev.case_no, "rejected", outcome)
                continue
            state = outcome
            accepted.append(self._append(state, p))
            batch_keys[key] = (ev.case_no, p.content_hash)
            results[p.index] = EventResult(p.event_id, ev.case_no, "accepted")

        if accepted:
            self._persist(states, accepted)
        return _Outcome(results, {no: s.case for no, s in states.items()})

    # --- validation against the database state ---

    def _resolve(self, p, cases, states, items, depts, steps_by_version) -> _CaseState | EventError:
        ev = p.event
        state = states.get(ev.case_no)
        if state is None and ev.case_no in cases:
            case = cases[ev.case_no]
            state = _CaseState(case, case.item_version, steps_by_version.get(case.item_version_id, []),
                               is_new=False, seq=case.event_count, last_hash=case.last_hash)
        item = dept = None
        if ev.item_code or ev.department_code:
            if not ev.department_code:
                return _err("invalid_field", _("提供事项编码时必须提供部门编码"), "department")
            if not ev.item_code:
                return _err("invalid_field", _("提供部门编码时必须提供事项编码"), "item_code")
            item = items.get(ev.item_code)
            if item is None:
                return _err("unknown_item", _("未知的事项编码：%s") % ev.item_code, "item_code")
            dept = depts.get(ev.department_code)
            if dept is None:
                return _err("unknown_department", _("未知的部门编码：%s") % ev.department_code, "department")
            if item.department_id != dept.pk:
                return _err("invalid_field", _("事项不属于该部门"), "department")
        if state is None:
            if item is None:
                if ev.type == EventType.SUBMITTED:
                    return _err("invalid_field", _("申办事件必须提供事项编码"), "item_code")
                return _err("case_not_found", _("办件不存在：%s") % ev.case_no, "case_no")
            version = item.current_version
            if version is None or version.status == VersionStatus.DRAFT:
                return _err("unknown_item", _("事项没有已发布的版本：%s") % ev.item_code, "item_code")
            dept_code, steps = dept.code, steps_by_version.get(version.pk, [])
        else:
            if item is not None and item.pk != state.case.item_id:
                return _err("invalid_field", _("事项编码与办件不一致"), "item_code")
            if dept is not None and dept.pk != state.case.department_id:
                return _err("invalid_field", _("部门编码与办件不一致"), "department")
            dept_code, steps, version = state.case.department.code, state.steps, state.version
        if self.allowed is not None and dept_code not in self.allowed:
            return _err("department_not_allowed", _("无权报送该部门的办件"), "department")
        if state is not None and state.case.source_system != ev.source_system:
            return _err("case_owned_by_other_system", _("该办件由其他系统报送"), "case_no")
        if ev.type == EventType.STEP_COMPLETED and p.payload["step"] not in {s.code for s in steps}:
            return _err("unknown_step", _("事项没有该环节：%s") % p.payload["step"], "payload.step")
        if ev.type == EventType.FORWARDED and p.payload["to_department"] not in depts:
            return _err("unknown_department", _("未知的部门编码：%s") % p.payload["to_department"],
                        "payload.to_department")
        if state is None:
            case = _new_case(
                case_no=ev.case_no, region_code=dept.region.code, department_id=dept.pk, item_id=item.pk,
                item_version_id=version.pk, source_system=ev.source_system, query_code=new_code(8),
                rating_code=new_code(10),
            )
            case.department, case.item, case.item_version = dept, item, version
            _apply_case_fields(case, ev.case_fields)
            state = _CaseState(case, version, steps, is_new=True, seq=0, last_hash="")
        states[ev.case_no] = state
        return state

    def _append(self, state: _CaseState, p: _Prepared) -> RecordedEvent:
        ev, case = p.event, state.case
        if ev.type == EventType.SUBMITTED:
            _apply_applicant(case, p.payload, p.raw_id_no, ev.case_fields, state.is_new)
            state.applicant_touched = True
        seq = state.seq + 1
        h = chain.event_hash(
            case_no=case.case_no, seq=seq, source_system=ev.source_system, event_id=p.event_id, type=ev.type,
            occurred_at=ev.occurred_at, received_at=self.received_at, actor_id=ev.actor_id,
            actor_name=ev.actor_name, acting_for=ev.acting_for, payload_text=p.payload_text,
            prev_hash=state.last_hash, backfilled=ev.backfilled,
        )
        row = RecordedEvent(
            case=case, seq=seq, source_system=ev.source_system, event_id=p.event_id, type=ev.type,
            occurred_at=ev.occurred_at, received_at=self.received_at, actor_id=ev.actor_id,
            actor_name=ev.actor_name, acting_for=ev.acting_for, payload=p.payload, prev_hash=state.last_hash, hash=h,
            payload_text=p.payload_text, backfilled=ev.backfilled,
        )
        state.seq, state.last_hash = seq, h
        case.event_count, case.last_hash = seq, h
        state.new_events.append(row)
        return row

    # --- persistence ---

    def _persist(self, states: dict[str, _CaseState], accepted: list[RecordedEvent]) -> None:
        touched = [s for s in states.values() if s.new_events]
        history = load_histories([s.case.id for s in touched if not s.is_new])
        deriver = _Deriver(self.received_at)
        plans = []
        for s in touched:
            rows = history[s.case.id] if not s.is_new else []
            rows.extend(s.new_events)
            plans.append((s.case, deriver.derive(s.case, s.version, s.steps, rows)))

        create_objects(Case, [s.case for s in touched if s.is_new])
        insert_rows(CaseEvent, _EVENT_COLUMNS, map(_event_row, accepted))
        old = [s for s in touched if not s.is_new]
        # The applicant columns (two ciphertexts among them) only when a submission may have changed them.
        written = _CASE_UPDATE_FIELDS + (_RECORD_FIELDS if any(s.applicant_touched for s in old) else _CHAIN_FIELDS)
        old_cases = [s.case for s in old]
        update_rows(Case, old_cases, written)
        _sync_steps(plans, load_existing=bool(old_cases))
        cases = {s.case.id: s.case for s in touched}
        histories = {s.case.id: (history[s.case.id] if not s.is_new else s.new_events) for s in touched}
        events_recorded.send(sender=CaseEvent, case_ids=list(cases), events=accepted, histories=histories,
                             cases=cases)


@cache
def _case_fields() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    fields_ = Case._meta.concrete_fields
    return tuple(f.attname for f in fields_), tuple(f.get_default for f in fields_)


def _new_case(**values: Any) -> Case:
    """``Case(**values)`` through the positional constructor (every field given in order, defaults called per
    instance): half the cost of keyword construction, which is paid once per new case of a batch."""
    names, defaults = _case_fields()
    args = [values.pop(name) if name in values else default() for name, default in zip(names, defaults, strict=True)]
    if values:
        raise TypeError(f"unknown Case fields: {', '.join(values)}")
    return Case(*args)


def _apply_case_fields(case: Case, fields_: Mapping[str, Any]) -> None:
    if not fields_:
        return
    if _member(fields_.get("channel"), CHANNELS):
        case.channel = fields_["channel"]
    for name in ("hall_id", "applicant_user_id", "agent_id"):
        if fields_.get(name):
            setattr(case, name, fields_[name])
    if fields_.get("applicant_phone") and not case.applicant_phone_cipher:
        case.applicant_phone_cipher = crypto.encrypt(str(fields_["applicant_phone"]))


def _apply_applicant(case: Case, payload, raw_id_no: str, case_fields, is_new: bool) -> None:
    """Fill the applicant from the (first) ``submitted`` event; a case created by an earlier non-submitted
    event gets its applicant when the submission arrives."""
    if case.applicant_name:  # the first submission (in arrival order) names the applicant
        return
    applicant = payload.get("applicant") or {}
    if applicant.get("name"):
        case.applicant_name = str(applicant["name"])[:128]
    if _member(applicant.get("type"), APPLICANT_TYPES):
        case.applicant_type = applicant["type"]
    if raw_id_no:
        case.applicant_id_cipher = crypto.encrypt(raw_id_no)
        case.applicant_id_masked = crypto.mask_id_no(raw_id_no)
    elif applicant.get("id_no"):  # a replayed, already masked payload
        case.applicant_id_masked = str(applicant["id_no"])[:32]
    if _member(payload.get("channel"), CHANNELS):
        case.channel = payload["channel"]
    if not is_new:
        _apply_case_fields(case, case_fields)


# --- derivation (shared with rederive_cases) ------------------------------------------------------------------

_CASE_UPDATE_FIELDS = [
    "status", "result", "document_no", "submitted_at", "accepted_at", "decided_at", "delivered_at", "closed_at",
    "elapsed_seconds", "suspended_seconds", "extended_days", "promised_due", "statutory_due", "clock_state",
    "calendar_confirmed", "next_check_at", "clock", "deadlines", "updated_at",
]
_CHAIN_FIELDS = ["event_count", "last_hash"]
_RECORD_FIELDS = [
    *_CHAIN_FIELDS, "applicant_type", "applicant_name", "applicant_id_cipher", "applicant_id_masked",
    "applicant_phone_cipher", "channel", "hall", "applicant_user", "agent",
]
_STEP_UPDATE_FIELDS = ["status", "started_at", "due", "completed_at", "actor_name", "outcome"]
# The keys of a desired step (``_Deriver.derive``) and the CaseStep fields they fill.
_STEP_KEYS = ("order", "code", "name", "post", "department_id", "parallel_group", *_STEP_UPDATE_FIELDS)
_STEP_COLUMNS = ("order", "code", "name", "post", "department", "parallel_group", *_STEP_UPDATE_FIELDS)
_STEP_VALUES = slice(len(_STEP_KEYS) - len(_STEP_UPDATE_FIELDS), None)  # the _STEP_UPDATE_FIELDS of a desired row


def _steps_by_version(version_ids: Iterable[int]) -> dict[int, list[Step]]:
    out: dict[int, list[Step]] = defaultdict(list)
    version_ids = [v for v in version_ids if v]
    if version_ids:
        for step in Step.objects.filter(version_id__in=version_ids).order_by("version_id", "order", "pk"):
            out[step.version_id].append(step)
    return out


def terms_for(version: ItemVersion, steps: Sequence[Step]) -> Terms:
    return Terms(
        unit=version.limit_unit,
        statutory_days=version.statutory_days,
        promised_days=version.promised_days,
        handling_type=version.handling_type,
        steps=tuple(StepTerm(s.code, s.name, s.days, s.parallel_group) for s in steps),
        max_extension_days=version.max_extension_days,
    )


# What Case.clock leaves out: what the case keeps in columns (the deadlines are taken out of the dict for one).
_CLOCK_OMITTED = STORED_IN_COLUMNS - {"deadlines"}
_STEP_COMPLETED, _DECIDED, _DELIVERED, _FORWARDED = (
    EventType.STEP_COMPLETED.value, EventType.DECIDED.value, EventType.DELIVERED.value, EventType.FORWARDED.value)


class _Deriver:
    """Re-derives cases from their events (one policy and one calendar per region for the whole batch)."""

    def __init__(self, now: datetime):
        self.tz = timezone.get_default_timezone()
        self.now = now.astimezone(self.tz)
        self.stamp = timezone.now()  # updated_at of every case of the batch
        self._calendars: dict[str, Any] = {}
        self._policies: dict[tuple, Any] = {}
        self._terms: dict[int, Terms] = {}
        self._layouts: dict[int, tuple[tuple, str | None]] = {}

    def policy(self, case: Case):
        """The thresholds for the case's department and item (per-department / per-item overrides)."""
        key = (case.department_id, case.item_id)
        if key not in self._policies:
            self._policies[key] = current_policy(*key)
        return self._policies[key]

    def terms(self, version: ItemVersion, steps: Sequence[Step]) -> Terms:
        terms = self._terms.get(version.pk)
        if terms is None:
            terms = self._terms[version.pk] = terms_for(version, steps)
        return terms

    def layout(self, version: ItemVersion, steps: Sequence[Step]) -> tuple[tuple, str | None]:
        """The version's steps as ``(code, order, name, post, department_id, parallel_group)`` and the code of
        its trailing notifier step (办结告知), if any: read off the Step instances once per batch, not per case."""
        layout = self._layouts.get(version.pk)
        if layout is None:
            notify_code = steps[-1].code if steps and steps[-1].post == Post.NOTIFIER else None
            layout = self._layouts[version.pk] = (
                tuple((s.code, s.order, s.name, s.post, s.department_id, s.parallel_group) for s in steps),
                notify_code,
            )
        return layout

    def calendar(self, region_code: str):
        if region_code not in self._calendars:
            from xiaoneng.workcal.selectors import UnknownRegion, get_calendar

            try:
                self._calendars[region_code] = get_calendar(region_code or None)
            except UnknownRegion:
                self._calendars[region_code] = get_calendar(None)
        return self._calendars[region_code]

    def derive(self, case: Case, version: ItemVersion, steps: Sequence[Step], rows: Sequence[Any]) -> list[tuple]:
        """Update ``case`` in memory from its events ``rows`` (:class:`EventView` / :class:`RecordedEvent`);
        return the desired CaseStep rows (tuples of the ``_STEP_KEYS`` values)."""
        # One time zone whatever the source (in-memory events keep the reporter's offset, database rows come
        # back in UTC): the stored clock JSON is then identical however the events arrived.
        tz = self.tz
        rows = sorted(rows, key=lambda r: (r.occurred_at, r.seq))
        clock = compute_clock(
            [clock_event(r.type, r.occurred_at.astimezone(tz), r.payload or {}, r.seq) for r in rows],
            self.terms(version, steps),
            self.calendar(case.region_code),
            self.now,
            self.policy(case),
        )
        decided, deliverer = None, ""
        forwarded = []
        last_act: dict[str, tuple[str, str]] = {}
        for r in rows:
            t = r.type
            if t == _STEP_COMPLETED:
                if r.payload:
                    last_act[str(r.payload.get("step"))] = (r.actor_name or "",
                                                            str(r.payload.get("outcome") or "pass"))
            elif t == _DECIDED:
                decided = decided or r
            elif t == _DELIVERED:
                if not deliverer:
                    deliverer = r.actor_name or ""
            elif t == _FORWARDED:
                forwarded.append(r.payload.get("to_department"))
        case.status = clock.status
        case.result = clock.result or ""
        case.document_no = str((decided.payload or {}).get("document_no") or "")[:64] if decided else ""
        case.submitted_at = clock.submitted_at
        case.accepted_at = clock.accepted_at
        case.decided_at = clock.decided_at
        case.delivered_at = clock.delivered_at
        case.closed_at = clock.closed_at
        case.elapsed_seconds = clock.elapsed_seconds
        case.suspended_seconds = clock.suspended_seconds
        case.extended_days = clock.extended_days
        case.promised_due = clock.promised_due
        case.statutory_due = clock.statutory_due
        case.clock_state = clock.state
        case.calendar_confirmed = clock.calendar_confirmed
        case.next_check_at = clock.next_check_at
        details = clock.as_dict(omit=_CLOCK_OMITTED)
        case.deadlines = details.pop("deadlines")  # [{"rule", "level", "step", "at" (ISO 8601)}], in a column
        details.update(
            handling_type=version.handling_type, statutory_days=version.statutory_days,
            promised_days=version.promised_days, max_extension_days=version.max_extension_days,
        )
        if forwarded:
            details["forwarded_to"] = forwarded
        case.clock = details
        case.updated_at = self.stamp

        # Step projection.
        clocks = {sc.code: sc for sc in clock.steps}
        closed = clock.status in ("decided", "delivered", "rejected", "withdrawn", "returned")
        # 办结告知: a trailing notifier step of a decided case runs until the delivery and is done at it.
        step_rows, notify_code = self.layout(version, steps)
        desired = []
        for code, order, name, post, department_id, parallel_group in step_rows:
            sc = clocks.get(code)
            started_at = sc.started_at if sc else None
            due = sc.due if sc else None
            completed_at = sc.completed_at if sc else None
            actor, outcome = last_act.get(code, ("", ""))
            if sc is not None and sc.completed_at is not None:
                status = StepStatus.BY_DEFAULT if sc.by_default else StepStatus.DONE
            elif code == notify_code and clock.decided_at is not None and clock.status in ("decided", "delivered"):
                started_at = started_at or clock.decided_at
                due = due or clock.delivery_due
                if clock.delivered_at is not None:
                    status, completed_at = StepStatus.DONE, clock.delivered_at
                    actor, outcome = actor or deliverer, outcome or "pass"
                else:
                    status = StepStatus.ACTIVE
            elif closed:
                status = StepStatus.CANCELLED
            elif sc is not None and sc.started_at is not None:
                status = StepStatus.ACTIVE
            else:
                status = StepStatus.WAITING
            if sc is not None and sc.by_default:
                actor, outcome = "", "by_default"
            acted = status in (StepStatus.DONE, StepStatus.BY_DEFAULT)
            desired.append((
                order, code, name, post, department_id or case.department_id, parallel_group,
                status, started_at, due, completed_at, actor[:64] if acted else "", outcome[:16] if acted else "",
            ))
        return desired


def _sync_steps(plans: list[tuple[Case, list[tuple]]], *, load_existing: bool) -> None:
    existing: dict[tuple[int, str], tuple] = {}  # (case_id, code) -> (pk, *_STEP_UPDATE_FIELDS)
    if load_existing:
        ids = [case.id for case, _ in plans]
        for row in filter_in(CaseStep.objects.all(), "case_id", ids).values_list("case_id", "code", "pk",
                                                                                  *_STEP_UPDATE_FIELDS):
            existing[row[0], row[1]] = row[2:]
    to_create, to_update = [], []
    for case, desired in plans:
        case_id = case.id
        for d in desired:
            row = existing.get((case_id, d[1]))
            if row is None:
                to_create.append((case_id, case.region_code, *d))
            else:
                values = d[_STEP_VALUES]
                if values != row[1:]:
                    to_update.append((row[0], *values))
    if to_create:
        insert_rows(CaseStep, ("case", "region_code", *_STEP_COLUMNS), to_create)
    update_values(CaseStep, _STEP_UPDATE_FIELDS, to_update)


def rederive_cases(case_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute the clock and projections of ``case_ids`` from their events (e.g. after a calendar change).

    One transaction; the cases are locked (PostgreSQL) in id order like the write path. Returns the count.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .select_related("item_version")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        steps_by_version = _steps_by_version({c.item_version_id for c in cases})
        history = load_histories(ids)
        deriver = _Deriver(now)
        plans = []
        for case in cases:
            if not history[case.pk]:
                continue
            steps = steps_by_version.get(case.item_version_id, [])
            plans.append((case, deriver.derive(case, case.item_version, steps, history[case.pk])))
        if plans:
            update_rows(Case, [c for c, _ in plans], _CASE_UPDATE_FIELDS)
            _sync_steps(plans, load_existing=True)
    return len(plans)


def cases_to_reproject(region_code: str | None = None):
    """Ids of the cases whose clock can still change (open, decided and undelivered, or with a live check)."""
    qs = Case.objects.filter(
        Q(status__in=[*OPEN_STATUSES, CaseStatus.DECIDED]) | Q(next_check_at__isnull=False)
    )
    if region_code:
        from xiaoneng.org.models import Region

        path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
        if path is None:
            qs = qs.filter(region_code=region_code)
        else:
            qs = qs.filter(region_code__in=Region.objects.filter(path__startswith=path).values("code"))
    return qs.order_by("pk").values_list("pk", flat=True)


def reproject_region(region_code: str | None = None, *, chunk_size: int = 500) -> int:
    """Re-derive every case of ``region_code`` (None: all regions) whose clock can change, in chunks."""
    ids = list(cases_to_reproject(region_code))  # ids only: a few MB for 100k open cases
    now = timezone.now()
    return sum(rederive_cases(ids[i : i + chunk_size], now=now) for i in range(0, len(ids), chunk_size))
