"""Per-event validation of the exchange contract (exchange-api.md): each raw event becomes the keyword
arguments of a ``cases.services.NewEvent`` or an error ``(code, field, message)``.

Validation is done by hand, event by event, rather than with one pydantic model for the whole body, so that one
bad event yields its own ``invalid_field`` rejection and never fails the batch. Only the contract's shape is
checked here (types, lengths, enumerations, required fields, timestamps); everything that needs the database
(items, departments, steps, ownership, idempotency) is the business of the single write path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

CONTRACT_TYPES = (
    "submitted", "accepted", "rejected", "correction_requested", "correction_completed", "step_completed",
    "suspended", "resumed", "extended", "fee_charged", "decided", "delivered", "withdrawn",
)
FUTURE_TOLERANCE = timedelta(minutes=5)
TEXT_MAX = 2000
RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")

# The field reported with an engine error code when the engine leaves it blank.
DEFAULT_FIELDS = {
    "unknown_type": "type",
    "unknown_item": "item_code",
    "unknown_department": "department",
    "department_not_allowed": "department",
    "unknown_step": "payload.step",
    "case_owned_by_other_system": "case_no",
    "case_not_found": "case_no",
    "event_id_conflict": "event_id",
    "occurred_in_future": "occurred_at",
}


@dataclass(frozen=True)
class ParseError:
    code: str
    field: str | None
    message: str


class _Invalid(ValueError):
    def __init__(self, field: str | None, message: str, code: str = "invalid_field"):
        super().__init__(message)
        self.error = ParseError(code, field, message)


def parse_timestamp(value: Any, field: str = "occurred_at") -> datetime:
    """RFC 3339 with a mandatory offset (``Z`` or ``±hh:mm``); fractions beyond microseconds are truncated."""
    if not isinstance(value, str):
        raise _Invalid(field, f"{field} must be an RFC 3339 timestamp string")
    match = RFC3339.match(value.strip())
    if not match:
        raise _Invalid(field, f"{field} must be RFC 3339 with an offset, e.g. 2026-10-08T09:30:00+08:00")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    fraction = (fraction or "")[:7]  # "." + at most 6 digits
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        parsed = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second}{fraction}{offset}")
    except ValueError:
        raise _Invalid(field, f"{field} is not a valid date and time") from None
    if not 1900 <= parsed.year <= 9998:
        raise _Invalid(field, f"{field} is out of range")
    return parsed


def _string(obj: dict, key: str, *, field: str | None = None, required: bool = False, max_len: int = 64,
            min_len: int = 1, choices: tuple[str, ...] | None = None) -> str:
    field = field or key
    value = obj.get(key)
    if value is None:
        if required:
            raise _Invalid(field, f"{field} is required")
        return ""
    if not isinstance(value, str):
        raise _Invalid(field, f"{field} must be a string")
    if required and len(value) < min_len:
        raise _Invalid(field, f"{field} must not be empty")
    if len(value) > max_len:
        raise _Invalid(field, f"{field} must be at most {max_len} characters")
    if choices is not None and value not in choices:
        raise _Invalid(field, f"{field} must be one of: {', '.join(choices)}")
    return value


def _positive_int(obj: dict, key: str, field: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(field, f"{field} must be an integer ≥ 1")
    if not 1 <= value <= 3650:
        raise _Invalid(field, f"{field} must be between 1 and 3650")
    return value


def _check_payload(type_: str, payload: dict, require_reasons: bool = True) -> None:
    p = "payload."
    if type_ == "submitted":
        applicant = payload.get("applicant")
        if applicant is not None:
            if not isinstance(applicant, dict):
                raise _Invalid(p + "applicant", "payload.applicant must be an object")
            _string(applicant, "type", field=p + "applicant.type", choices=("person", "organisation"))
            _string(applicant, "name", field=p + "applicant.name", max_len=128)
            _string(applicant, "id_no", field=p + "applicant.id_no", max_len=32)
        _string(payload, "channel", field=p + "channel", choices=("window", "online", "agent"))
    elif type_ == "rejected":
        _string(payload, "reason", field=p + "reason", required=require_reasons, max_len=TEXT_MAX)
    elif type_ == "correction_requested":
        materials = payload.get("materials")
        if not isinstance(materials, list) or not materials:
            raise _Invalid(p + "materials", "payload.materials must be a non-empty list of strings")
        for material in materials:
            if not isinstance(material, str) or not material or len(material) > 255:
                raise _Invalid(p + "materials", "payload.materials must be a non-empty list of strings")
    elif type_ == "step_completed":
        _string(payload, "step", field=p + "step", required=True, max_len=32)
        _string(payload, "outcome", field=p + "outcome", choices=("pass", "return"))
        _string(payload, "opinion", field=p + "opinion", max_len=TEXT_MAX)
    elif type_ == "suspended":
        _string(payload, "reason", field=p + "reason", required=True, choices=(
            "hearing", "tender", "auction", "inspection", "testing", "quarantine", "appraisal", "expert_review",
            "other"))
        _positive_int(payload, "workdays", p + "workdays")
    elif type_ == "resumed":
        _string(payload, "result", field=p + "result", max_len=TEXT_MAX)
    elif type_ == "extended":
        _positive_int(payload, "workdays", p + "workdays")
        _string(payload, "approver", field=p + "approver", max_len=64)
    elif type_ == "fee_charged":
        _string(payload, "fee_code", field=p + "fee_code", required=True, max_len=32)
        amount = payload.get("amount")
        if not isinstance(amount, str) or not AMOUNT.match(amount):
            raise _Invalid(p + "amount", 'payload.amount must be a decimal string in yuan, e.g. "120.00"')
        try:
            Decimal(amount)
        except InvalidOperation:  # pragma: no cover - the regex already guarantees it
            raise _Invalid(p + "amount", "payload.amount is not a decimal") from None
    elif type_ == "decided":
        result = _string(payload, "result", field=p + "result", required=True, choices=("approved", "denied"))
        _string(payload, "reason", field=p + "reason", required=result == "denied" and require_reasons, max_len=TEXT_MAX)
        _string(payload, "document_no", field=p + "document_no", max_len=64)
    elif type_ == "delivered":
        _string(payload, "method", field=p + "method", choices=("window", "mail", "online"))
    elif type_ == "withdrawn":
        _string(payload, "reason", field=p + "reason", max_len=TEXT_MAX)


def storable(value: Any) -> bool:
    """Whether the value can be stored as text / JSON in every supported database: no NUL character (PostgreSQL
    refuses it) and no lone UTF-16 surrogate (not encodable as UTF-8; ``json.loads`` lets both through).

    orjson answers first (a fifth of the time for a batch of a thousand events): it refuses lone surrogates and
    writes NUL as ``\\u0000``. What it refuses for other reasons (integers beyond 64 bits, non-string keys,
    values JSON has no form for) is answered by ``json`` as before."""
    try:
        return b"\\u0000" not in orjson.dumps(value, option=_ORJSON_STRICT)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        pass
    try:
        text = json.dumps(value, ensure_ascii=False)
        text.encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError):
        return False
    return "\\u0000" not in text


_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def safe_text(value: str) -> str:
    """A storable rendering of a string (NUL and lone surrogates shown as escapes)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def storable_raw(raw: Any) -> Any:
    """The raw event for quarantine: as received when storable, else losslessly wrapped as ASCII JSON text."""
    if storable(raw):
        return raw
    return {"_unstorable_json": json.dumps(raw, ensure_ascii=True)}


def event_id_of(raw: Any) -> str:
    """The event's ``event_id`` as echoed in results ("" when absent or not a string)."""
    if isinstance(raw, dict) and isinstance(raw.get("event_id"), str):
        return safe_text(raw["event_id"][:255])
    return ""


def case_no_of(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("case_no"), str):
        return safe_text(raw["case_no"][:255])
    return ""


def parse_event(raw: Any, *, source_system: str, now: datetime, require_reasons: bool = True,
                storable_checked: bool = False) -> dict | ParseError:
    """Keyword arguments for ``NewEvent`` or the first error found. ``storable_checked``: the caller has
    checked the whole batch with :func:`storable` (one encoding instead of one per event)."""
    try:
        if not isinstance(raw, dict):
            raise _Invalid(None, "each event must be a JSON object")
        if not storable_checked and not storable(raw):
            bad = next((k for k, v in raw.items() if not storable(v)), None)
            raise _Invalid(bad if bad is None or storable(bad) else None,
                           "text must not contain NUL characters or unpaired surrogates")
        event_id = _string(raw, "event_id", required=True)
        case_no = _string(raw, "case_no", required=True)
        type_ = raw.get("type")
        if not isinstance(type_, str):
            raise _Invalid("type", "type is required and must be a string")
        if type_ not in CONTRACT_TYPES:
            raise _Invalid("type", f"unknown event type {type_[:40]!r}", code="unknown_type")
        occurred_at = parse_timestamp(raw.get("occurred_at"))
        if occurred_at > now + FUTURE_TOLERANCE:
            raise _Invalid("occurred_at", "occurred_at is more than 5 minutes in the future",
                           code="occurred_in_future")
        item_code = _string(raw, "item_code")
        department = _string(raw, "department", max_len=32)
        if type_ == "submitted" and not item_code:
            raise _Invalid("item_code", "item_code is required on submitted")
        if item_code and not department:
            raise _Invalid("department", "department is required with item_code")
        if department and not item_code:
            raise _Invalid("item_code", "item_code is required with department")
        actor = raw.get("actor")
        actor_id = actor_name = ""
        if actor is None:
            if type_ != "submitted":
                raise _Invalid("actor", "actor is required except on submitted")
        elif not isinstance(actor, dict):
            raise _Invalid("actor", "actor must be an object {id, name}")
        else:
            actor_id = _string(actor, "id", field="actor.id")
            actor_name = _string(actor, "name", field="actor.name")
            if type_ != "submitted" and not (actor_id or actor_name):
                raise _Invalid("actor", "actor needs an id or a name")
        payload = raw.get("payload")
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise _Invalid("payload", "payload must be an object")
        _check_payload(type_, payload, require_reasons)
    except _Invalid as exc:
        return exc.error
    return {
        "case_no": case_no, "type": type_, "occurred_at": occurred_at, "event_id": event_id,
        "source_system": source_system, "item_code": item_code, "department_code": department,
        "actor_id": actor_id, "actor_name": actor_name, "payload": payload,
    }
