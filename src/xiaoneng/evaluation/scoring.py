"""The scorer: a pure function of a standard (plain data), indicators and fact lists. No Django, no ORM.

``score(standard, data) -> Result``

Semantics of the rule kinds (all points are Decimals; deductions are negative numbers, bonuses positive):

* ``per_card``  — every fact of ``source`` (normally "cards") with ``level`` and a ``rule`` in
  ``filters["rules"]`` (any rule when absent) costs ``points``.
* ``per_n``     — the same selection; every *full* ``n`` facts cost ``points`` (4 warnings with n = 3 → 1 × −3).
* ``rate_deduction`` — ``indicator`` is a rate in [0, 1] where 1 is perfect; every *full* 1 % short of 100 %
  costs ``points``, at most ``cap`` (a negative number) in all. A missing indicator (no data) costs nothing.
* ``per_fact``  — every fact of ``source`` whose fields match ``filters`` (field → list of allowed values)
  costs ``points``.
* ``threshold_bonus`` — ``indicator >= threshold`` earns ``points``, plus ``step_points`` for every further
  *full* ``step`` (0.10 → +1 at 10 %, +2 at 20 % …), at most ``cap`` when given.
* ``manual``    — adjustments entered by hand (``DepartmentData.manual``, each with its category and reason) are
  applied to their category whatever rules the category has; the rule only documents that it may happen.

A category's points = ``clamp(weight + deductions + manual, 0, weight) + bonuses`` — no category below 0.
Total = sum of the categories' points (so at most ``sum(weights) + max_bonus(standard)``), rounded to 0.01.
Grades: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 < 60 (configurable through ``StandardSpec.grades``).
Rates are taken to 6 decimals before any comparison so that 3/10 (0.30000000000000004 after a subtraction) meets a
30 % threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")
RATE_Q = Decimal("0.000001")

DEFAULT_GRADES = ((Decimal("90"), "excellent"), (Decimal("80"), "good"), (Decimal("60"), "pass"))
GRADE_LABELS = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}

KINDS = ("per_card", "per_n", "rate_deduction", "per_fact", "threshold_bonus", "manual")


def D(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def rate(value) -> Decimal | None:
    """A rate as a Decimal to 6 decimals (None stays None)."""
    d = D(value)
    return None if d is None else d.quantize(RATE_Q, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    kind: str
    indicator: str = ""
    source: str = ""
    level: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)
    points: Decimal = ZERO
    n: int | None = None
    cap: Decimal | None = None
    threshold: Decimal | None = None
    step: Decimal | None = None
    step_points: Decimal | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        for name in ("points", "cap", "threshold", "step", "step_points"):
            object.__setattr__(self, name, D(getattr(self, name)))
        if self.kind == "per_n" and not self.n:
            raise ValueError("per_n needs n >= 1")

    @property
    def is_bonus(self) -> bool:
        return self.kind == "threshold_bonus"

    def max_bonus(self) -> Decimal:
        """The most this rule can add (an indicator of 100 %)."""
        if not self.is_bonus:
            return ZERO
        pts = _bonus_points(self, Decimal(1))
        return pts


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    weight: Decimal
    rules: tuple[RuleSpec, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "weight", D(self.weight))
        object.__setattr__(self, "rules", tuple(self.rules))


@dataclass(frozen=True)
class StandardSpec:
    name: str
    number: int
    categories: tuple[CategorySpec, ...]
    grades: tuple[tuple[Decimal, str], ...] = DEFAULT_GRADES

    def __post_init__(self):
        object.__setattr__(self, "categories", tuple(self.categories))

    @property
    def base(self) -> Decimal:
        return sum((c.weight for c in self.categories), ZERO)

    def max_bonus(self) -> Decimal:
        return sum((r.max_bonus() for c in self.categories for r in c.rules), ZERO)


@dataclass(frozen=True)
class DepartmentData:
    """Inputs for one department: ``indicators`` (name → rate/number or None), ``facts`` (source → list of fact
    dicts; card facts carry ``rule`` and ``level``), ``totals`` (source → full count when the stored list is a
    sample, e.g. late events) and ``manual`` adjustments ({"category", "points", "reason", …})."""

    indicators: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)
    manual: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class Line:
    category: str
    category_name: str
    kind: str  # deduction | bonus | manual
    rule_code: str
    label: str
    points: Decimal
    indicator: str = ""
    indicator_value: float | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryResult:
    code: str
    name: str
    weight: Decimal
    deductions: Decimal  # raw sum (negative), before the floor at 0
    manual: Decimal
    bonuses: Decimal
    points: Decimal
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Result:
    categories: tuple[CategoryResult, ...]
    total: Decimal
    grade: str

    @property
    def lines(self) -> list[Line]:
        return [line for c in self.categories for line in c.lines]

    @property
    def grade_label(self) -> str:
        return GRADE_LABELS[self.grade]


# --- rule evaluation -------------------------------------------------------------------------------------------


def _matches(fact: Mapping[str, Any], rule: RuleSpec) -> bool:
    if rule.level and fact.get("level") != rule.level:
        return False
    for key, allowed in (rule.filters or {}).items():
        name = "rule" if key == "rules" else key
        if allowed is not None and fact.get(name) not in allowed:
            return False
    return True


def _selected(rule: RuleSpec, data: DepartmentData) -> list[Mapping[str, Any]]:
    return [f for f in data.facts.get(rule.source, ()) if _matches(f, rule)]


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _bonus_points(rule: RuleSpec, value: Decimal | None) -> Decimal:
    if value is None or rule.threshold is None or value < rule.threshold:
        return ZERO
    pts = rule.points
    if rule.step and rule.step > 0 and rule.step_points:
        pts += rule.step_points * _floor((value - rule.threshold) / rule.step)
    if rule.cap is not None:
        pts = min(pts, rule.cap)
    return max(pts, ZERO)


def _rate_points(rule: RuleSpec, value: Decimal | None) -> Decimal:
    if value is None:
        return ZERO
    short = max((Decimal(1) - min(value, Decimal(1))) * 100, ZERO)
    pts = rule.points * _floor(short)
    if rule.cap is not None:
        pts = max(pts, rule.cap) if rule.cap <= 0 else min(pts, rule.cap)
    return pts


def _facts(source: str, items: Sequence[Mapping[str, Any]], total: int | None = None, **extra) -> dict:
    out = {"source": source, "total": len(items) if total is None else total, "items": list(items)}
    out.update(extra)
    return out


def evaluate_rule(rule: RuleSpec, cat: CategorySpec, data: DepartmentData) -> Line | None:
    """One rule's line (None for ``manual`` rules, whose lines come from the adjustments)."""
    common = dict(category=cat.code, category_name=cat.name, rule_code=rule.code, label=rule.name)
    if rule.kind == "per_card" or rule.kind == "per_fact":
        items = _selected(rule, data)
        return Line(kind="deduction" if rule.points <= 0 else "bonus", points=rule.points * len(items),
                    facts=_facts(rule.source, items), **common)
    if rule.kind == "per_n":
        items = _selected(rule, data)
        groups = len(items) // rule.n
        return Line(kind="deduction", points=rule.points * groups,
                    facts=_facts(rule.source, items, counted=groups * rule.n, n=rule.n), **common)
    value = rate(data.indicators.get(rule.indicator))
    shown = None if value is None else float(value)
    items = list(data.facts.get(rule.source, ())) if rule.source else []
    total = data.totals.get(rule.source, len(items)) if rule.source else 0
    if rule.kind == "rate_deduction":
        return Line(kind="deduction", points=_rate_points(rule, value), indicator=rule.indicator,
                    indicator_value=shown, facts=_facts(rule.source, items, total), **common)
    if rule.kind == "threshold_bonus":
        return Line(kind="bonus", points=_bonus_points(rule, value), indicator=rule.indicator,
                    indicator_value=shown, facts=_facts(rule.source, items, total), **common)
    return None  # manual


def grade_for(total: Decimal, grades=DEFAULT_GRADES) -> str:
    for floor, grade in grades:
        if total >= floor:
            return grade
    return "fail"


def score(standard: StandardSpec, data: DepartmentData) -> Result:
    categories = []
    for cat in standard.categories:
        lines = [line for rule in cat.rules if (line := evaluate_rule(rule, cat, data)) is not None]
        for adj in data.manual:
            if adj.get("category") != cat.code:
                continue
            lines.append(Line(category=cat.code, category_name=cat.name, kind="manual", rule_code="manual",
                              label=str(adj.get("reason", "")), points=D(adj["points"]),
                              facts=_facts("manual", [{k: v for k, v in adj.items() if k != "points"}
                                                      | {"points": str(adj["points"])}])))
        deductions = sum((ln.points for ln in lines if ln.kind == "deduction"), ZERO)
        manual = sum((ln.points for ln in lines if ln.kind == "manual"), ZERO)
        bonuses = sum((ln.points for ln in lines if ln.kind == "bonus"), ZERO)
        kept = min(max(cat.weight + deductions + manual, ZERO), cat.weight)
        categories.append(CategoryResult(cat.code, cat.name, cat.weight, deductions, manual, bonuses,
                                         (kept + bonuses).quantize(CENT), tuple(lines)))
    total = sum((c.points for c in categories), ZERO).quantize(CENT)
    return Result(tuple(categories), total, grade_for(total, standard.grades))


def mean_result(standard: StandardSpec, results: Sequence[Result]) -> Result:
    """Quarter / year: every category's points and the total are the means of the months' (to 0.01)."""
    if not results:
        raise ValueError("no months to average")
    n = Decimal(len(results))
    categories = []
    for i, cat in enumerate(standard.categories):
        parts = [r.categories[i] for r in results]
        categories.append(CategoryResult(
            cat.code, cat.name, cat.weight,
            (sum((p.deductions for p in parts), ZERO) / n).quantize(CENT),
            (sum((p.manual for p in parts), ZERO) / n).quantize(CENT),
            (sum((p.bonuses for p in parts), ZERO) / n).quantize(CENT),
            (sum((p.points for p in parts), ZERO) / n).quantize(CENT), ()))
    total = (sum((r.total for r in results), ZERO) / n).quantize(CENT)
    return Result(tuple(categories), total, grade_for(total, standard.grades))


def competition_ranks(totals: Mapping[Any, Decimal]) -> dict[Any, int]:
    """Standard competition ranking ("1224"): equal totals share a rank."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks: dict[Any, int] = {}
    prev = None
    for position, (key, total) in enumerate(ordered, start=1):
        if prev is None or total != prev[1]:
            prev = (position, total)
        ranks[key] = prev[0]
    return ranks
