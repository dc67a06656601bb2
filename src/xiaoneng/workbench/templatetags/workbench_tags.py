from datetime import datetime
from functools import lru_cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases.models import CaseStatus, ClockState, EventType, StepStatus
from xiaoneng.org.models import Post

from ..services import DELIVERY_METHODS, SPECIAL_REASONS

register = template.Library()

_OUTCOMES = {"pass": "通过", "return": "退回", "by_default": "超时默认同意", "approved": "准予许可",
             "denied": "不予许可"}


def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


_URL_SAFE = "!$&'()*+,;=/~:@"  # django.urls.resolvers: RFC3986_SUBDELIMS + "/~:@"


@lru_cache(maxsize=8)
def _case_url_pattern(prefix: str, urlconf) -> tuple[str, str]:
    head, _sep, tail = reverse("workbench:case", args=["0"]).rpartition("/0/")
    return head + "/", "/" + tail


@register.filter
def case_url(case_no: str) -> str:
    """``{% url 'workbench:case' case_no %}`` for list rows: the route is reversed once per script prefix and
    urlconf, not once per row (the same quoting as ``reverse``)."""
    head, tail = _case_url_pattern(get_script_prefix(), get_urlconf())
    return f"{head}{quote(str(case_no), safe=_URL_SAFE)}{tail}"


@register.filter
def event_label(value):
    return _label(EventType, value)


@register.filter
def post_label(value):
    return _label(Post, value)


@register.filter
def status_label(value):
    return _label(CaseStatus, value)


@register.filter
def step_status_label(value):
    return _label(StepStatus, value)


@register.filter
def clock_label(value):
    return _label(ClockState, value)


@register.filter
def outcome_label(value):
    return _(_OUTCOMES.get(value, value or ""))


@register.filter
def special_label(value):
    return dict(SPECIAL_REASONS).get(value, value)


@register.filter
def iso_dt(value):
    """An ISO 8601 string (from Case.clock) as an aware datetime in local time."""
    if not value:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value)
    try:
        return timezone.localtime(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None


@register.filter
def payload_summary(event):
    p = event.payload or {}
    t = event.type
    parts = []
    if t == EventType.SUBMITTED:
        a = p.get("applicant") or {}
        parts.append(f"{_('申请人')}：{a.get('name', '')}")
        if p.get("channel"):
            parts.append({"window": "窗口", "online": "网上", "agent": "代办"}.get(p["channel"], p["channel"]))
    elif t == EventType.STEP_COMPLETED:
        parts.append(f"{p.get('step', '')} {_OUTCOMES.get(p.get('outcome', 'pass'), '')}")
        if p.get("opinion"):
            parts.append(p["opinion"])
        if p.get("by_default"):
            parts.append(_("（超时默认）"))
    elif t == EventType.CORRECTION_REQUESTED:
        parts.append("、".join(p.get("materials") or []))
    elif t == EventType.SUSPENDED:
        parts.append(f"{dict(SPECIAL_REASONS).get(p.get('reason'), p.get('reason'))} {p.get('workdays')} 个工作日")
    elif t == EventType.EXTENDED:
        parts.append(f"{p.get('workdays')} 个工作日，{_('批准人')}：{p.get('approver', '')}")
    elif t == EventType.FEE_CHARGED:
        parts.append(f"{p.get('fee_code')} {p.get('amount')} 元")
    elif t == EventType.DECIDED:
        parts.append(_OUTCOMES.get(p.get("result"), p.get("result", "")))
        if p.get("document_no"):
            parts.append(p["document_no"])
        if p.get("reason"):
            parts.append(p["reason"])
    elif t == EventType.DELIVERED:
        parts.append(dict(DELIVERY_METHODS).get(p.get("method"), p.get("method", "")))
    elif t == EventType.FORWARDED:
        parts.append(f"{_('上报至')} {p.get('to_department', '')}")
        if p.get("opinion"):
            parts.append(p["opinion"])
    else:
        for key in ("reason", "result"):
            if p.get(key):
                parts.append(str(p[key]))
    return "；".join(str(x) for x in parts if x)
