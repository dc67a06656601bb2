"""Pure validation of an item version (no database): the rules a version must satisfy to be published.

Rules (domain-rules §1):
- the promised limit (承诺时限) never exceeds the statutory limit (法定时限);
- the allotted step days fit in the promised limit; steps sharing a parallel group (并联组) run at the same time,
  so a group counts with its longest step;
- fee amounts are non-negative; step codes and fee codes are unique within the version;
- every version has at least one step, except an on-the-spot item (即办件), whose promised limit may be 0;
- a 上报件 names the body it is forwarded to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

INSTANT = "instant"
REPORT = "report"


@dataclass(frozen=True)
class StepSpec:
    code: str
    name: str = ""
    post: str = ""
    days: int = 0
    parallel_group: str = ""
    department_code: str = ""


@dataclass(frozen=True)
class FeeSpec:
    code: str
    name: str = ""
    amount: Decimal | int | float | str | None = Decimal("0")
    basis: str = ""


@dataclass(frozen=True)
class VersionSpec:
    handling_type: str
    statutory_days: int | None
    promised_days: int | None
    steps: Sequence[StepSpec] = field(default_factory=tuple)
    fees: Sequence[FeeSpec] = field(default_factory=tuple)
    report_to: str = ""
    max_extension_days: int | None = 0


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str = ""

    def __str__(self) -> str:
        return self.message


def effective_step_days(steps: Iterable[StepSpec]) -> int:
    """Working days the steps take end to end: sequential steps add up, a parallel group counts its maximum."""
    total = 0
    groups: dict[str, int] = {}
    for step in steps:
        days = int(step.days or 0)
        if step.parallel_group:
            groups[step.parallel_group] = max(groups.get(step.parallel_group, 0), days)
        else:
            total += days
    return total + sum(groups.values())


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def validate_version(spec: VersionSpec) -> list[Problem]:
    """Every problem that prevents publishing ``spec`` (an empty list means it may be published)."""
    problems: list[Problem] = []
    instant = spec.handling_type == INSTANT
    statutory, promised = spec.statutory_days, spec.promised_days

    if statutory is None or statutory < 0:
        problems.append(Problem("invalid_limit", "法定时限必须是不小于 0 的整数。", "statutory_days"))
    if promised is None or promised < 0:
        problems.append(Problem("invalid_limit", "承诺时限必须是不小于 0 的整数。", "promised_days"))
    if statutory is not None and promised is not None and statutory >= 0 and promised >= 0:
        if promised > statutory:
            problems.append(Problem(
                "promised_exceeds_statutory",
                f"承诺时限（{promised} 天）不能超过法定时限（{statutory} 天）。", "promised_days"))
        if promised == 0 and not instant:
            problems.append(Problem(
                "promised_zero", "只有即办件的承诺时限可以为 0；承诺件、上报件和并联审批件至少 1 天。",
                "promised_days"))
    if spec.max_extension_days is not None and spec.max_extension_days < 0:
        problems.append(Problem("invalid_limit", "可延期天数不能为负数。", "max_extension_days"))

    if not spec.steps and not instant:
        problems.append(Problem("no_steps", "至少需要一个办理环节（即办件除外）。", "steps"))
    seen_steps: set[str] = set()
    for step in spec.steps:
        code = (step.code or "").strip()
        if not code:
            problems.append(Problem("missing_step_code", f"环节“{step.name or '?'}”缺少环节编码。", "steps"))
        elif code in seen_steps:
            problems.append(Problem("duplicate_step_code", f"环节编码“{code}”重复。", "steps"))
        seen_steps.add(code)
        if step.days is None or int(step.days) < 0:
            problems.append(Problem("invalid_step_days", f"环节“{code}”的时限不能为负数。", "steps"))
    if promised is not None and promised >= 0 and spec.steps:
        try:
            total = effective_step_days(spec.steps)
        except (TypeError, ValueError):
            total = None
        if total is not None and total > promised:
            problems.append(Problem(
                "steps_exceed_promised",
                f"各环节时限合计 {total} 天（并联环节按组内最长计），超过承诺时限 {promised} 天。", "steps"))

    seen_fees: set[str] = set()
    for fee in spec.fees:
        code = (fee.code or "").strip()
        if not code:
            problems.append(Problem("missing_fee_code", f"收费项目“{fee.name or '?'}”缺少收费编码。", "fees"))
        elif code in seen_fees:
            problems.append(Problem("duplicate_fee_code", f"收费编码“{code}”重复。", "fees"))
        seen_fees.add(code)
        amount = _as_decimal(fee.amount)
        if amount is None:
            problems.append(Problem("invalid_fee", f"收费项目“{code}”的金额不是有效数字。", "fees"))
        elif amount < 0:
            problems.append(Problem("negative_fee", f"收费项目“{code}”的金额不能为负数（{amount}）。", "fees"))

    if spec.handling_type == REPORT and not spec.report_to:
        problems.append(Problem("missing_report_to", "上报件必须指定上报部门。", "report_to"))
    return problems
