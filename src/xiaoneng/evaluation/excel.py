"""Excel export of a ranking or a department's score (openpyxl write-only: constant memory).

Sheets: 排名 (rank, department, total, grade, every category), 指标 (every indicator of §5 with its definition),
扣分加分 (every non-category line: rule, points, indicator value, number of facts), 事实 (one row per fact:
department, category, rule, source and the fact's identifiers — card id, case number, complaint receipt …).
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .facts import SOURCE_LABELS
from .indicators import DEFINITIONS, INDICATORS
from .models import ScoreLine

FACT_FIELDS = ("id", "rule", "level", "case_no", "receipt_no", "order_no", "type", "result", "person_name",
               "measure", "due_at", "late_events", "first_late_received_at", "rectify_due", "rectified_at", "elapsed_days",
               "promised_days", "item_code", "name", "statutory_days", "reason")


def _header(ws, titles) -> None:
    cells = []
    for t in titles:
        c = WriteOnlyCell(ws, value=t)
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)


def ranking_workbook(period, scores) -> bytes:
    wb = Workbook(write_only=True)
    scores = list(scores)
    lines = list(ScoreLine.objects.filter(score__in=[s.pk for s in scores]).order_by("score_id", "order", "id")
                 .values("score_id", "category", "category_name", "kind", "rule_code", "label", "points",
                         "indicator", "indicator_value", "facts"))
    by_score: dict[int, list] = {}
    for ln in lines:
        by_score.setdefault(ln["score_id"], []).append(ln)
    heads = [(ln["category"], ln["category_name"]) for ln in by_score.get(scores[0].pk, []) if
             ln["kind"] == "category"] if scores else []

    ws = wb.create_sheet("排名")
    ws.append([f"{period.label} 绩效评估（{scores[0].standard if scores else ''}）"])
    _header(ws, ["排名", "部门编码", "部门", "总分", "等次", "版本", "已发布", *[name for _, name in heads]])
    for s in scores:
        cats = {ln["category"]: float(ln["points"]) for ln in by_score.get(s.pk, []) if ln["kind"] == "category"}
        ws.append([s.rank, s.department.code, s.department.name, float(s.total), s.grade_label, s.version,
                   "是" if s.published else "否", *[cats.get(code) for code, _ in heads]])

    ws = wb.create_sheet("指标")
    _header(ws, ["部门", *[str(name) for _, name in INDICATORS]])
    for s in scores:
        ws.append([s.department.name, *[_pct(s.indicators.get(key)) for key, _ in INDICATORS]])
    ws.append([])
    _header(ws, ["指标", "定义"])
    for key, name in INDICATORS:
        ws.append([str(name), str(DEFINITIONS[key])])

    ws = wb.create_sheet("扣分加分")
    _header(ws, ["部门", "类别", "规则", "类型", "分值", "指标值", "事实数"])
    for s in scores:
        for ln in by_score.get(s.pk, []):
            if ln["kind"] == "category":
                continue
            ws.append([s.department.name, ln["category_name"], ln["label"], ln["kind"], float(ln["points"]),
                       ln["indicator_value"], (ln["facts"] or {}).get("total", 0)])

    ws = wb.create_sheet("事实")
    _header(ws, ["部门", "类别", "规则", "分值", "事实来源", *FACT_FIELDS])
    for s in scores:
        for ln in by_score.get(s.pk, []):
            facts = ln["facts"] or {}
            source = facts.get("source", "")
            for item in facts.get("items", []):
                ws.append([s.department.name, ln["category_name"], ln["label"], float(ln["points"]),
                           SOURCE_LABELS.get(source, source), *[_cell(item.get(f)) for f in FACT_FIELDS]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pct(value):
    return None if value is None else round(float(value) * 100, 2)


def _cell(value):
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)
