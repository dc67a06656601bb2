"""Read side of the evaluation: published ranking (for the portal), score pages, fact links.

``published_ranking(period=None)`` — the latest *published* ranking: ``None`` when nothing was ever published, else
``{"period": Period, "label": str, "rows": [{"rank", "department", "total", "grade", "grade_label"}]}`` ordered by
rank. With ``period`` (a ``Period`` or a key such as "2026-10") that period's published scores. Only published
versions are read, so a recomputation in progress never shows on the portal. The portal renders it with
``{% include "evaluation/_public_ranking.html" with ranking=ranking %}``.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from .indicators import DEFINITIONS, INDICATORS
from .models import Period, Score
from .services import latest_scores


def published_ranking(period: Period | str | None = None) -> dict | None:
    if isinstance(period, str):
        period = Period.objects.filter(key=period).first()
    if period is None:
        period = (Period.objects.filter(scores__published=True).distinct()
                  .order_by("-scores__published_at").first())
        if period is None:
            return None
    scores = sorted(latest_scores(period, published_only=True),
                    key=lambda s: (s.rank or 10**6, s.department.code))
    if not scores:
        return None
    return {"period": period, "label": period.label, "rows": [
        {"rank": s.rank, "department": s.department.short_name or s.department.name, "total": s.total,
         "grade": s.grade, "grade_label": s.grade_label} for s in scores]}


def periods_with_scores(published_only: bool = False):
    qs = Period.objects.filter(scores__isnull=False)
    if published_only:
        qs = qs.filter(scores__published=True)
    return list(qs.distinct().order_by("-start", "kind"))


def indicator_rows(values: dict) -> list[dict]:
    return [{"key": key, "name": str(name), "value": values.get(key), "definition": str(DEFINITIONS[key])}
            for key, name in INDICATORS]


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def case_url(case_no: str) -> str:
    return _url("workbench:case", case_no) if case_no else ""


def fact_links(source: str, fact: dict) -> list[tuple[str, str]]:
    """(label, url) pairs for one fact: the card, the case, the complaint, the rating, the order."""
    links: list[tuple[str, str]] = []
    if source == "cards":
        url = _url("supervision:alert", fact["id"])
        links.append((f"预警 #{fact['id']}", url))
    elif source == "verified_complaints":
        links.append((f"投诉 {fact['receipt_no']}", _url("feedback:complaint", fact["id"])))
    elif source == "bad_not_rectified":
        links.append((f"评价 {fact['receipt_no']}", _url("feedback:rating", fact["id"])))
    elif source in ("supervision_orders", "accountabilities"):
        links.append((f"督办单 {fact.get('order_no', '')}", _url("supervision:order", fact.get("order_id"))))
    if fact.get("case_no"):
        url = _url("supervision:case", fact["case_id"]) if fact.get("case_id") else case_url(fact["case_no"])
        links.append((f"办件 {fact['case_no']}", url))
    return links


LEVEL_NAMES = {"warning": "预警", "yellow": "黄牌", "red": "红牌"}


def rule_names() -> dict[str, str]:
    from xiaoneng.supervision.models import RuleConfig

    return dict(RuleConfig.objects.values_list("code", "name"))


def local_time(value: str | None) -> str:
    """An ISO instant stored in the facts → local "YYYY-MM-DD HH:MM"."""
    from datetime import datetime

    from django.utils import timezone

    if not value:
        return ""
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)[:16]
    if timezone.is_aware(dt):
        dt = timezone.localtime(dt)
    return dt.strftime("%Y-%m-%d %H:%M")


def fact_label(fact: dict, names: dict[str, str] | None = None) -> str:
    """A short human reference for a fact: the card (level · rule), case number, receipt, order, item, reason."""
    if fact.get("rule") and fact.get("level"):
        rule = (names or {}).get(fact["rule"], fact["rule"])
        return f"{LEVEL_NAMES.get(fact['level'], fact['level'])} · {rule}"
    for key in ("case_no", "receipt_no", "order_no", "item_code", "reason", "person_name"):
        if fact.get(key):
            return str(fact[key])
    return f"#{fact['id']}" if fact.get("id") else ""


def latest_score(department, period: Period, version: int | None = None) -> Score | None:
    qs = Score.objects.filter(department=department, period=period).select_related("period", "standard",
                                                                                   "department")
    if version:
        return qs.filter(version=version).first()
    return qs.order_by("-version").first()
