"""Response schemas of the exchange API (for the OpenAPI document and response validation)."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from .parsing import CONTRACT_TYPES


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class EventError(Schema):
    code: str
    message: str
    field: str | None = None


class EventResultOut(Schema):
    event_id: str
    status: str = Field(description="accepted | duplicate | rejected")
    error: EventError | None = None
    quarantine_id: int | None = Field(None, description="隔离区编号（rejected only）")


class BatchOut(Schema):
    accepted: int
    duplicate: int
    rejected: int
    results: list[EventResultOut]


class ClockOut(Schema):
    unit: str
    statutory_days: int
    promised_days: int
    extended_days: int
    elapsed_days: float
    suspended_days: float
    promised_due: str | None
    statutory_due: str | None
    calendar_confirmed: bool
    state: str


class StepOut(Schema):
    step: str
    name: str
    status: str
    completed_at: str | None
    actor: str | None
    due: str | None
    overdue: bool


class AlertOut(Schema):
    id: int
    rule: str
    level: str
    step: str | None
    raised_at: str | None
    status: str


class CaseOut(Schema):
    case_no: str
    item_code: str
    department: str
    status: str
    submitted_at: str | None
    accepted_at: str | None
    decided_at: str | None
    delivered_at: str | None
    result: str | None
    document_no: str | None
    source_system: str
    clock: ClockOut
    steps: list[StepOut]
    alerts: list[AlertOut]


class AlertListItem(AlertOut):
    case_no: str | None
    department: str | None


class AlertPage(Schema):
    results: list[AlertListItem]
    next: str | None


class ItemStepOut(Schema):
    order: int
    code: str
    name: str
    days: int
    post: str
    parallel_group: str
    department: str | None


class FeeOut(Schema):
    code: str
    name: str
    amount: str


class MaterialOut(Schema):
    name: str
    form: str
    copies: int
    required: bool


class GuideOut(Schema):
    legal_basis: str
    conditions: str
    procedure: str
    location: str
    office_hours: str
    consult_phone: str
    complaint_phone: str
    visits_required: int
    online: bool
    max_extension_days: int
    materials: list[MaterialOut]


class ItemOut(Schema):
    code: str
    name: str
    type: str
    handling_type: str
    department: str
    department_name: str
    version: int
    limit_unit: str
    statutory_days: int
    promised_days: int
    steps: list[ItemStepOut]
    fees: list[FeeOut]
    guide: GuideOut


class ItemPage(Schema):
    results: list[ItemOut]
    next: str | None


_S = {"type": "string"}
EVENT_SCHEMA = {
    "type": "object",
    "required": ["event_id", "case_no", "type", "occurred_at"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1, "maxLength": 64,
                     "description": "unique per source system; the idempotency key"},
        "case_no": {"type": "string", "minLength": 1, "maxLength": 64, "description": "办件编号"},
        "type": {"type": "string", "enum": list(CONTRACT_TYPES)},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "RFC 3339 with offset; at most 5 minutes in the future"},
        "item_code": {"type": "string", "maxLength": 64,
                      "description": "事项编码; required on submitted (and on the event that first names the case)"},
        "department": {"type": "string", "maxLength": 32, "description": "部门编码; required with item_code"},
        "actor": {"type": "object", "properties": {"id": {**_S, "maxLength": 64}, "name": {**_S, "maxLength": 64}},
                  "description": "required except on submitted"},
        "payload": {
            "type": "object",
            "description": "per type (see the contract): applicant{type,name,id_no}, channel, reason, materials, "
                           "step, outcome, opinion, workdays, result, approver, fee_code, amount, document_no, "
                           "method",
            "properties": {
                "applicant": {"type": "object", "properties": {
                    "type": {"type": "string", "enum": ["person", "organisation"]},
                    "name": {**_S, "maxLength": 128}, "id_no": {**_S, "maxLength": 32}}},
                "channel": {"type": "string", "enum": ["window", "online", "agent"]},
                "reason": _S, "materials": {"type": "array", "items": _S, "minItems": 1},
                "step": _S, "outcome": {"type": "string", "enum": ["pass", "return"]}, "opinion": _S,
                "workdays": {"type": "integer", "minimum": 1}, "result": _S, "approver": _S,
                "fee_code": _S, "amount": {"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$"},
                "document_no": _S, "method": {"type": "string", "enum": ["window", "mail", "online"]},
            },
        },
    },
}
EVENTS_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object",
        "required": ["events"],
        "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000, "items": EVENT_SCHEMA}},
    }}},
}
