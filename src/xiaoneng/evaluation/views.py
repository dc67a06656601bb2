"""Staff pages of the evaluation (/staff/evaluation/): ranking, department score, facts, exports, 通报 report.

Access (see ``permissions``): supervisors read every department of their region (current, unpublished scores
included), publish and recompute; leaders read the published ranking; every staff member reads the score pages of
their own departments only (another department's page is a 404).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.org.models import Department
from xiaoneng.org.scoping import visible_department_ids

from . import excel, permissions, selectors, services
from .facts import SOURCE_LABELS
from .forms import AdjustmentForm
from .indicators import NAMES
from .models import ManualAdjustment, Period
from .scoring import GRADE_LABELS

# Departments without cases (无办件, unranked) come last whatever the order of the totals.
SORTS = {"rank": lambda s: (s.rank or 10**6, s.department.code), "code": lambda s: s.department.code,
         "total": lambda s: (not s.has_cases, -s.total, s.department.code),
         "-total": lambda s: (not s.has_cases, s.total, s.department.code)}


def _count_labels() -> dict:
    return {**GRADE_LABELS, "no_cases": _("无办件")}


def _staff(user):
    if not permissions.may_see_evaluation(user):
        raise PermissionDenied
    return user


def _period(request, published_only=False) -> Period | None:
    key = request.GET.get("period", "")
    if key:
        period = Period.objects.filter(key=key).select_related("standard").first()
        if period is None:
            raise Http404
        return period
    periods = selectors.periods_with_scores(published_only)
    months = [p for p in periods if p.kind == "month"]
    return (months or periods or [None])[0]


def _ranking_scores(request, period):
    """Scores shown on the ranking: supervisors see the current versions, others the published ones."""
    user = request.user
    if permissions.is_evaluator(user):
        qs = services.latest_scores(period)
        ids = visible_department_ids(user)
        if ids is not None:
            qs = qs.filter(department_id__in=ids)
        return list(qs)
    return list(services.latest_scores(period, published_only=True))


@login_required
def home(request):
    user = _staff(request.user)
    if permissions.may_see_ranking(user):
        return redirect("evaluation:ranking")
    own = sorted(permissions.own_department_ids(user))
    if not own:
        raise PermissionDenied
    return redirect("evaluation:department", code=Department.objects.get(pk=own[0]).code)


@login_required
def ranking(request):
    user = _staff(request.user)
    if not permissions.may_see_ranking(user):
        raise PermissionDenied
    evaluator = permissions.is_evaluator(user)
    period = _period(request, published_only=not evaluator)
    scores = _ranking_scores(request, period) if period else []
    sort = request.GET.get("sort", "rank")
    categories = _category_table(scores)
    cat_sort = sort.removeprefix("cat:") if sort.startswith("cat:") else None
    if cat_sort:
        scores.sort(key=lambda s: (-categories[s.pk].get(cat_sort, 0), s.department.code))
    else:
        scores.sort(key=SORTS.get(sort, SORTS["rank"]))
    heads = _category_heads(scores)
    # supervisors' rankings are already limited to the departments they read; others open their own only
    readable = {s.department_id for s in scores} if evaluator else permissions.own_department_ids(user)
    return render(request, "evaluation/ranking.html", {
        "period": period, "periods": selectors.periods_with_scores(not evaluator), "rows": [
            {"score": s, "categories": [categories[s.pk].get(code) for code, _ in heads],
             "grade_label": s.grade_label, "can_open": s.department_id in readable} for s in scores],
        "heads": heads, "sort": sort, "evaluator": evaluator,
        "grade_counts": services.grade_counts(scores), "grade_labels": _count_labels(),
        "scale": services.total_scale(period.standard) if period else None,
    })


def _category_table(scores) -> dict[int, dict]:
    from .models import ScoreLine

    table: dict[int, dict] = {s.pk: {} for s in scores}
    for score_id, code, points in ScoreLine.objects.filter(score__in=[s.pk for s in scores], kind="category") \
            .values_list("score_id", "category", "points"):
        table[score_id][code] = points
    return table


def _category_heads(scores) -> list[tuple[str, str]]:
    if not scores:
        return []
    std = scores[0].standard
    return [(c.code, c.name) for c in std.categories.order_by("order", "id")]


def _department(request, code) -> Department:
    department = get_object_or_404(Department, code=code)
    if not permissions.can_view_department(request.user, department.id):
        raise Http404
    return department


@login_required
def department(request, code):
    _staff(request.user)
    dept = _department(request, code)
    period = _period(request)
    score = None
    if period:
        version = request.GET.get("v")
        score = selectors.latest_score(dept, period, int(version) if version and version.isdigit() else None)
    if score is None:
        return render(request, "evaluation/department.html", {"department": dept, "period": period,
                                                              "periods": selectors.periods_with_scores()})
    lines = list(score.lines.order_by("order", "id"))
    categories = []
    for ln in lines:
        if ln.kind == "category":
            categories.append({"line": ln, "rules": []})
        elif categories:
            categories[-1]["rules"].append(ln)
    bonus = sum((ln.points for ln in lines if ln.kind == "bonus"), Decimal(0))
    chart = {
        "radar": [{"name": c["line"].label, "max": float(c["line"].weight or 0), "value": float(c["line"].points),
                   } for c in categories],
        "trend": services.trend(dept, period.key) if period.kind == "month" else [],
        "labels": {"score": _("得分"), "total": _("总分")},
    }
    return render(request, "evaluation/department.html", {
        "department": dept, "period": period, "periods": selectors.periods_with_scores(), "score": score,
        "categories": categories, "indicators": selectors.indicator_rows(score.indicators),
        "grade_label": score.grade_label, "chart": chart, "scale": services.total_scale(score.standard),
        "bonus": bonus, "base_points": score.total - bonus,
        "history": services.score_history(dept, period), "evaluator": permissions.is_evaluator(request.user),
        "adjust_form": AdjustmentForm(standard=period.standard)
        if permissions.is_evaluator(request.user) and period.kind == "month" else None,
        "adjustments": ManualAdjustment.objects.filter(department=dept, period=period).select_related(
            "category", "by"),
    })


@login_required
def facts(request, code, key, category, rule=""):
    """The facts behind one line (a rule's deduction or bonus) or behind a whole category."""
    _staff(request.user)
    dept = _department(request, code)
    period = get_object_or_404(Period, key=key)
    version = request.GET.get("v")
    score = selectors.latest_score(dept, period, int(version) if version and version.isdigit() else None)
    if score is None:
        raise Http404
    lines = score.lines.filter(category=category).exclude(kind="category")
    if rule:
        lines = lines.filter(rule_code=rule)
    lines = list(lines.order_by("order", "id"))
    category_line = score.lines.filter(category=category, kind="category").first()
    if category_line is None:
        raise Http404
    if not lines and category_line.facts.get("source") == "months":
        lines = [category_line]  # a quarter / year: the category is the mean of its months
    blocks = []
    names = selectors.rule_names()
    for ln in lines:
        source = ln.facts.get("source", "")
        items = ln.facts.get("items", [])
        rows = []
        for f in items:
            if source == "months":
                url = reverse("evaluation:category_facts", args=[dept.code, f["month"], category])
                rows.append({"fact": f, "label": f["month"], "links": [(f["month"], url)]})
            else:
                when = next((f[k] for k in ("due_at", "first_late_received_at", "rectify_due", "issued_at",
                                            "recorded_at", "at") if f.get(k)), None)
                rows.append({"fact": f, "label": selectors.fact_label(f, names), "when": selectors.local_time(when),
                             "links": selectors.fact_links(source, f)})
        blocks.append({"line": ln, "source": source, "source_label": SOURCE_LABELS.get(source, source),
                       "total": ln.facts.get("total", len(items)), "shown": len(items),
                       "indicator_name": str(NAMES.get(ln.indicator, "")), "items": rows})
    return render(request, "evaluation/facts.html", {
        "department": dept, "period": period, "score": score, "category": category, "rule": rule,
        "blocks": blocks, "category_line": category_line,
    })


@login_required
@require_POST
def recompute(request):
    if not permissions.is_evaluator(request.user):
        raise PermissionDenied
    key = request.POST.get("period", "")
    try:
        period = services.get_period(key)
    except services.PeriodError as exc:
        messages.error(request, str(exc))
        return redirect("evaluation:ranking")
    services.evaluate_period(period)
    messages.success(request, _("已重新计算 %(label)s 的得分。") % {"label": period.label})
    return redirect(f"{reverse('evaluation:ranking')}?period={period.key}")


@login_required
@require_POST
def adjust(request, code):
    """A supervisor enters a sanction (or restoration) by hand, with its reason; the department is rescored."""
    if not permissions.is_evaluator(request.user):
        raise PermissionDenied
    dept = _department(request, code)
    period = get_object_or_404(Period, key=request.POST.get("period", ""))
    form = AdjustmentForm(request.POST, standard=period.standard)
    if period.kind != "month":
        messages.error(request, _("人工调整按月录入；季度、年度为各月平均。"))
    elif form.is_valid():
        ManualAdjustment.objects.create(department=dept, period=period, category=form.cleaned_data["category"],
                                        points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
                                        by=request.user)
        services.evaluate_period(period, [dept.code])
        messages.success(request, _("已录入人工调整并重新计算。"))
    else:
        messages.error(request, _("人工调整未录入：%(errors)s") % {"errors": form.errors.as_text()})
    return redirect(f"{reverse('evaluation:department', args=[dept.code])}?period={period.key}")


@login_required
@require_POST
def publish(request):
    if not permissions.is_evaluator(request.user):
        raise PermissionDenied
    period = get_object_or_404(Period, key=request.POST.get("period", ""))
    n = services.publish_period(period, request.user)
    messages.success(request, _("已发布 %(n)s 个部门的得分。") % {"n": n})
    return redirect(f"{reverse('evaluation:ranking')}?period={period.key}")


@login_required
def export_ranking(request):
    user = _staff(request.user)
    if not permissions.may_see_ranking(user):
        raise PermissionDenied
    period = _period(request, published_only=not permissions.is_evaluator(user))
    if period is None:
        raise Http404
    scores = sorted(_ranking_scores(request, period), key=SORTS["rank"])
    return _xlsx(excel.ranking_workbook(period, scores), f"绩效排名-{period.key}.xlsx")


@login_required
def export_department(request, code):
    _staff(request.user)
    dept = _department(request, code)
    period = _period(request)
    score = selectors.latest_score(dept, period) if period else None
    if score is None:
        raise Http404
    return _xlsx(excel.ranking_workbook(period, [score]), f"绩效得分-{dept.code}-{period.key}.xlsx")


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def report(request):
    """Printable 通报 (A4): the ranking, grade counts and every department's lost points with their facts."""
    user = _staff(request.user)
    code = request.GET.get("department", "")
    if code:
        dept = _department(request, code)
        period = _period(request)
        scores = [s for s in [selectors.latest_score(dept, period)] if s] if period else []
    else:
        if not permissions.may_see_ranking(user):
            raise PermissionDenied
        period = _period(request, published_only=not permissions.is_evaluator(user))
        scores = sorted(_ranking_scores(request, period), key=SORTS["rank"]) if period else []
    if period is None:
        raise Http404
    details = []
    lines_by_score: dict[int, list] = {}
    from .models import ScoreLine

    for ln in ScoreLine.objects.filter(score__in=[s.pk for s in scores]).exclude(kind="category") \
            .exclude(points=0).order_by("score_id", "order"):
        lines_by_score.setdefault(ln.score_id, []).append(ln)
    for s in scores:
        lines = lines_by_score.get(s.pk, [])
        for ln in lines:
            refs = [f.get("case_no") or selectors.fact_label(f) for f in (ln.facts or {}).get("items", [])[:5]]
            ln.refs = "、".join(r for r in refs if r)
            ln.more = (ln.facts or {}).get("total", 0) > 5
        details.append({"score": s, "grade_label": s.grade_label, "lines": lines})
    return render(request, "evaluation/report.html", {
        "period": period, "details": details, "grade_counts": services.grade_counts(scores),
        "grade_labels": _count_labels(), "single": bool(code), "published": all(s.published for s in scores),
        "scale": services.total_scale(period.standard),
    })

