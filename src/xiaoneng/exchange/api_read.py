"""Read endpoints: GET /cases/{case_no}, /alerts, /items, /items/{item_code} (scoped by the key's system)."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from xiaoneng.cases.models import Case, CaseStep
from xiaoneng.catalog.models import ItemVersion, Material, Step, VersionStatus

from .parsing import _Invalid, parse_timestamp, storable
from .schemas import AlertPage, CaseOut, ErrorOut, ItemOut, ItemPage
from .scoping import readable_department_ids

router = Router()
logger = logging.getLogger("xiaoneng.exchange.api")
PAGE_DEFAULT = 100
PAGE_MAX = 500


def iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _check_params(*values: str | None) -> None:
    for value in values:
        if value and not storable(value):
            raise HttpError(422, "parameters must not contain NUL characters or unpaired surrogates")


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HttpError(422, "invalid cursor") from None
    _check_params(value)
    return value


def _next_link(request: HttpRequest, cursor: str) -> str:
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def alert_model():
    """supervision.Alert when the supervision app provides it, else None."""
    if not apps.is_installed("xiaoneng.supervision"):
        return None
    try:
        model = apps.get_model("supervision", "Alert")
    except LookupError:
        return None
    return model if all(hasattr(model, f) for f in ("rule", "level", "raised_at", "status")) else None


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def _step_code(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(getattr(value, "code", value))


def _alert_dict(alert) -> dict[str, Any]:
    return {"id": alert.pk, "rule": str(alert.rule), "level": str(alert.level),
            "step": _step_code(getattr(alert, "step", None)), "raised_at": iso(alert.raised_at),
            "status": str(alert.status)}


def _case_alerts(case: Case) -> list[dict[str, Any]]:
    model = alert_model()
    if model is None or not _has_field(model, "case"):
        return []
    qs = model.objects.filter(case=case)
    if _has_field(model, "subject_type"):
        qs = qs.filter(subject_type="case")
    try:
        with transaction.atomic():  # tolerate a supervision app whose table is not migrated yet
            return [_alert_dict(a) for a in qs.order_by("raised_at", "pk")]
    except DatabaseError:
        logger.warning("supervision alerts unavailable", exc_info=True)
        return []


def _seconds_per_day() -> int:
    from xiaoneng.workcal.worktime import parse_office_hours

    return parse_office_hours(settings.XN_OFFICE_HOURS).seconds_per_day


def case_dict(case: Case) -> dict[str, Any]:
    clock = case.clock or {}
    version = case.item_version
    unit = clock.get("unit") or version.limit_unit
    spd = clock.get("seconds_per_day") or _seconds_per_day()
    elapsed = clock.get("elapsed_days")
    suspended = clock.get("suspended_days")
    now = timezone.now()
    steps = []
    for step in case.steps.all():
        due = step.due
        overdue = bool(due and ((step.completed_at and step.completed_at > due) or
                                (not step.completed_at and step.status in ("active", "waiting") and now > due)))
        if step.status == "by_default":
            overdue = True
        steps.append({"step": step.code, "name": step.name, "status": step.status,
                      "completed_at": iso(step.completed_at), "actor": step.actor_name or None,
                      "due": iso(due), "overdue": overdue})
    return {
        "case_no": case.case_no, "item_code": case.item.code, "department": case.department.code,
        "status": case.status, "submitted_at": iso(case.submitted_at), "accepted_at": iso(case.accepted_at),
        "decided_at": iso(case.decided_at), "delivered_at": iso(case.delivered_at),
        "result": case.result or None, "document_no": case.document_no or None,
        "source_system": case.source_system,
        "clock": {
            "unit": unit, "statutory_days": version.statutory_days, "promised_days": version.promised_days,
            "extended_days": case.extended_days,
            "elapsed_days": float(elapsed) if elapsed is not None else round(case.elapsed_seconds / spd, 1),
            "suspended_days": float(suspended) if suspended is not None else round(case.suspended_seconds / spd, 1),
            "promised_due": iso(case.promised_due), "statutory_due": iso(case.statutory_due),
            "calendar_confirmed": case.calendar_confirmed, "state": case.clock_state,
        },
        "steps": steps,
        "alerts": _case_alerts(case),
    }


@router.get("/cases/{case_no}", response={200: CaseOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="A case as the platform sees it (办件状态)", operation_id="get_case")
def get_case(request: HttpRequest, case_no: str):
    _check_params(case_no)
    case = (Case.objects.select_related("item", "item_version", "department")
            .prefetch_related(Prefetch("steps", queryset=CaseStep.objects.order_by("order", "pk")))
            .filter(case_no=case_no, department_id__in=readable_department_ids(request.auth)).first())
    if case is None:
        raise Http404("case not found")
    return case_dict(case)


class AlertFilters(Schema):
    since: str | None = None
    department: str | None = None
    level: str | None = None
    rule: str | None = None
    status: str | None = None
    cursor: str | None = None
    limit: int = PAGE_DEFAULT


@router.get("/alerts", response={200: AlertPage, 401: ErrorOut, 422: ErrorOut},
            summary="Alerts (预警、黄牌、红牌、违规) in the key's scope", operation_id="list_alerts")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]):
    _check_params(filters.since, filters.department, filters.level, filters.rule, filters.status, filters.cursor)
    limit = max(1, min(filters.limit, PAGE_MAX))
    model = alert_model()
    if model is None:
        return {"results": [], "next": None}
    has_case = _has_field(model, "case")
    dept_field = "department" if _has_field(model, "department") else ("case__department" if has_case else None)
    qs = model.objects.all()
    if dept_field is None:
        return {"results": [], "next": None}
    qs = qs.filter(**{f"{dept_field}__in": readable_department_ids(request.auth)})
    if filters.since:
        try:
            since = parse_timestamp(filters.since, "since")
        except _Invalid as exc:
            raise HttpError(422, exc.error.message) from None
        changed = next((f for f in ("status_changed_at", "updated_at") if _has_field(model, f)), None)
        cond = Q(raised_at__gte=since)
        if changed:
            cond |= Q(**{f"{changed}__gte": since})
        qs = qs.filter(cond)
    if filters.department:
        qs = qs.filter(**{f"{dept_field}__code": filters.department})
    for name in ("level", "rule", "status"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.cursor:
        last = _decode_cursor(filters.cursor)
        if not last.isdigit():
            raise HttpError(422, "invalid cursor")
        qs = qs.filter(pk__gt=int(last))
    related = [f for f in (dept_field, "case" if has_case else None) if f]
    try:
        with transaction.atomic():
            rows = list(qs.select_related(*related).order_by("pk")[: limit + 1])
    except DatabaseError:
        logger.warning("supervision alerts unavailable", exc_info=True)
        return {"results": [], "next": None}
    results = []
    for alert in rows[:limit]:
        data = _alert_dict(alert)
        case = getattr(alert, "case", None) if has_case else None
        department = getattr(alert, "department", None) if dept_field == "department" else (
            case.department if case is not None else None)
        data["case_no"] = case.case_no if case is not None else None
        data["department"] = department.code if department is not None else None
        results.append(data)
    next_link = _next_link(request, _encode_cursor(str(rows[limit - 1].pk))) if len(rows) > limit else None
    return {"results": results, "next": next_link}


def _versions_in_force():
    return (ItemVersion.objects.filter(status=VersionStatus.PUBLISHED, item__is_active=True,
                                       item__current_version=F("pk"))
            .select_related("item", "item__department")
            .prefetch_related(Prefetch("steps", queryset=Step.objects.select_related("department")
                                       .order_by("order")),
                              "fees", Prefetch("materials", queryset=Material.objects.order_by("order", "pk"))))


def item_dict(version: ItemVersion) -> dict[str, Any]:
    item = version.item
    return {
        "code": item.code, "name": item.name, "type": item.item_type, "handling_type": version.handling_type,
        "department": item.department.code, "department_name": item.department.name, "version": version.number,
        "limit_unit": version.limit_unit, "statutory_days": version.statutory_days,
        "promised_days": version.promised_days,
        "steps": [{"order": s.order, "code": s.code, "name": s.name, "days": s.days, "post": s.post,
                   "parallel_group": s.parallel_group, "department": s.department.code if s.department else None}
                  for s in version.steps.all()],
        "fees": [{"code": f.code, "name": f.name, "amount": f"{f.amount:.2f}"} for f in version.fees.all()],
        "guide": {
            "legal_basis": version.legal_basis, "conditions": version.conditions, "procedure": version.procedure,
            "location": version.location, "office_hours": version.office_hours,
            "consult_phone": version.consult_phone, "complaint_phone": version.complaint_phone,
            "visits_required": version.visits_required, "online": version.online,
            "max_extension_days": version.max_extension_days,
            "materials": [{"name": m.name, "form": m.form, "copies": m.copies, "required": m.required}
                          for m in version.materials.all()],
        },
    }


class ItemFilters(Schema):
    department: str | None = None
    cursor: str | None = None
    limit: int = PAGE_DEFAULT


@router.get("/items", response={200: ItemPage, 401: ErrorOut, 422: ErrorOut},
            summary="Published item versions in force (事项目录)", operation_id="list_items")
def list_items(request: HttpRequest, filters: Query[ItemFilters]):
    _check_params(filters.department, filters.cursor)
    limit = max(1, min(filters.limit, PAGE_MAX))
    qs = _versions_in_force()
    if filters.department:
        qs = qs.filter(item__department__code=filters.department)
    if filters.cursor:
        qs = qs.filter(item__code__gt=_decode_cursor(filters.cursor))
    rows = list(qs.order_by("item__code")[: limit + 1])
    next_link = _next_link(request, _encode_cursor(rows[limit - 1].item.code)) if len(rows) > limit else None
    return {"results": [item_dict(v) for v in rows[:limit]], "next": next_link}


@router.get("/items/{item_code}", response={200: ItemOut, 401: ErrorOut, 404: ErrorOut},
            summary="One item's version in force", operation_id="get_item")
def get_item(request: HttpRequest, item_code: str):
    _check_params(item_code)
    version = _versions_in_force().filter(item__code=item_code).first()
    if version is None:
        raise Http404("item not found")
    return item_dict(version)
