"""Irregularity rules (违规规则, domain-rules §3): pure functions over one case's events and its item-version facts.

``evaluate(events, facts, params=None) -> list[Finding]``. ``events`` are objects with ``type``, ``occurred_at``,
``received_at`` (may be None), ``payload``, ``actor_id``, ``actor_name`` and ``seq`` (``CaseEvent`` rows fit);
they are folded in ``(occurred_at, seq)`` order, whatever order they arrived in. Each finding carries the rule's
default level; the caller applies the configured level, the on/off switch and the issuing mode. A card is unique
per (case, step, rule, level), so repeated evaluation of the same case is harmless.

Choices where the rules are silent:
* ``procedure_violation``: the steps required before a decision are those ordered before the first step held by
  the ``decider`` post (all steps but a trailing ``notifier`` step when there is none); an ``accepted`` event
  completes the ``acceptor`` steps. A step completed while an earlier stage is incomplete is out of order
  (card on that step); a decision with a required step missing, or before acceptance, is a card on the decision.
  ``outcome: return`` re-opens the previous stage and every later one (as the clock does).
* ``repeated_correction``: more than one correction notice before acceptance (补正, 第32条), or more than one
  during review.
* ``off_system``: (a) the first event reaches the platform more than ``minutes`` after the decision (先批后录);
  (b) a 承诺件 whose submission-to-decision span is at most ``minutes`` and whose events from submission to
  decision were all received in one batch (the same ``received_at``, to the second): back-filled.
* ``late_report``: ``due_at`` is the instant the 24 h passed (occurred_at + hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalogue import DEFAULTS_BY_CODE, SPECIAL_REASONS

__all__ = ["Finding", "ItemFacts", "StepFact", "evaluate"]

SPECIAL_REASON_NAMES = {
    "hearing": "听证", "tender": "招标", "auction": "拍卖", "inspection": "检验", "testing": "检测",
    "quarantine": "检疫", "appraisal": "鉴定", "expert_review": "专家评审",
}


@dataclass(frozen=True)
class StepFact:
    code: str
    name: str = ""
    post: str = ""
    parallel_group: str = ""


@dataclass(frozen=True)
class ItemFacts:
    fees: Mapping[str, Decimal] = field(default_factory=dict)  # published fee code -> standard amount
    steps: tuple[StepFact, ...] = ()  # in configured order
    separation_required: bool = False
    handling_type: str = "promised"
    max_extension_days: int = 10
    item_name: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    step: str
    at: datetime
    message: str


def _level(rule: str) -> str:
    return DEFAULTS_BY_CODE[rule]["default_level"]


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _who(e) -> str:
    return (getattr(e, "actor_id", "") or "").strip() or (getattr(e, "actor_name", "") or "").strip()


def _stages(steps: Sequence[StepFact]) -> dict[str, int]:
    """Step code -> stage index (steps sharing a non-empty parallel_group form one stage)."""
    stage_of: dict[str, int] = {}
    group_stage: dict[str, int] = {}
    n = -1
    for s in steps:
        if s.parallel_group and s.parallel_group in group_stage:
            stage_of[s.code] = group_stage[s.parallel_group]
            continue
        n += 1
        stage_of[s.code] = n
        if s.parallel_group:
            group_stage[s.parallel_group] = n
    return stage_of


def _required_before_decision(steps: Sequence[StepFact]) -> list[StepFact]:
    for i, s in enumerate(steps):
        if s.post == "decider":
            return list(steps[:i])
    if steps and steps[-1].post == "notifier":
        return list(steps[:-1])
    return list(steps)


def evaluate(events: Iterable[Any], facts: ItemFacts, params: Mapping[str, Mapping] | None = None) -> list[Finding]:
    params = params or {}
    ordered = sorted(events, key=lambda e: (e.occurred_at, getattr(e, "seq", 0) or 0))
    out: list[Finding] = []
    if not ordered:
        return out
    add = out.append

    # illegal_fee
    for e in ordered:
        if e.type != "fee_charged":
            continue
        p = e.payload or {}
        code = str(p.get("fee_code") or "")
        amount = _dec(p.get("amount"))
        if code not in facts.fees:
            add(Finding("illegal_fee", _level("illegal_fee"), "", e.occurred_at,
                        f"收取了未公布的收费项目（{code or '未注明'}，{p.get('amount', '')}元）"))
        elif amount is None or amount != _dec(facts.fees[code]):
            add(Finding("illegal_fee", _level("illegal_fee"), "", e.occurred_at,
                        f"收费项目{code}收取{p.get('amount', '')}元，与收费标准{_dec(facts.fees[code])}元不符"))

    # procedure_violation
    out.extend(_procedure(ordered, facts))

    # no_reason
    for e in ordered:
        p = e.payload or {}
        if e.type == "rejected" and not str(p.get("reason") or "").strip():
            add(Finding("no_reason", _level("no_reason"), "", e.occurred_at, "不予受理未说明理由"))
        elif e.type == "decided" and p.get("result") == "denied" and not str(p.get("reason") or "").strip():
            add(Finding("no_reason", _level("no_reason"), "", e.occurred_at, "不予许可未说明理由"))

    # repeated_correction
    accepted = False
    pre_count = review_count = 0
    for e in ordered:
        if e.type == "accepted":
            accepted = True
        elif e.type == "correction_requested":
            if accepted:
                review_count += 1
                if review_count == 2:
                    add(Finding("repeated_correction", _level("repeated_correction"), "", e.occurred_at,
                                "审查期间第二次发出补正告知，违反一次性告知规定"))
            else:
                pre_count += 1
                if pre_count == 2:
                    add(Finding("repeated_correction", _level("repeated_correction"), "", e.occurred_at,
                                "受理前第二次发出补正告知，违反一次性告知规定"))

    # improper_extension
    extensions = 0
    for e in ordered:
        if e.type != "extended":
            continue
        extensions += 1
        p = e.payload or {}
        try:
            days = int(p.get("workdays") or 0)
        except (TypeError, ValueError):
            days = 0
        reasons = []
        if extensions > 1:
            reasons.append("第二次延期")
        if days > facts.max_extension_days:
            reasons.append(f"延期{days}个工作日，超过可延期{facts.max_extension_days}个工作日")
        if not str(p.get("approver") or "").strip():
            reasons.append("延期无审批人")
        if reasons:
            add(Finding("improper_extension", _level("improper_extension"), "", e.occurred_at, "；".join(reasons)))

    # late_report
    hours = float((params.get("late_report") or {}).get("hours", 24))
    limit = timedelta(hours=hours)
    for e in ordered:
        received = getattr(e, "received_at", None)
        if received is not None and received - e.occurred_at > limit:
            add(Finding("late_report", _level("late_report"), "", e.occurred_at + limit,
                        f"事件“{e.type}”发生后超过{hours:g}小时才上报"))
            break

    # off_system
    minutes = float((params.get("off_system") or {}).get("minutes", 30))
    grace = timedelta(minutes=minutes)
    decided = next((e for e in ordered if e.type == "decided"), None)
    receipts = [e.received_at for e in ordered if getattr(e, "received_at", None) is not None]
    if decided is not None and receipts:
        first_received = min(receipts)
        submitted = next((e for e in ordered if e.type == "submitted"), None)
        if first_received > decided.occurred_at + grace:
            add(Finding("off_system", _level("off_system"), "", decided.occurred_at,
                        "办件在作出决定后才首次报送平台，疑似先批后录"))
        elif submitted is not None and facts.handling_type == "promised":
            life = [e for e in ordered if submitted.occurred_at <= e.occurred_at <= decided.occurred_at]
            received = [e.received_at for e in life if getattr(e, "received_at", None) is not None]
            if (decided.occurred_at - submitted.occurred_at <= grace and len(received) == len(life)
                    and max(received) - min(received) <= timedelta(seconds=1)):
                add(Finding("off_system", _level("off_system"), "", decided.occurred_at,
                            "承诺件从申报到决定在几分钟内一次性报送，疑似体外循环"))

    # special_reason
    for e in ordered:
        if e.type == "suspended":
            reason = str((e.payload or {}).get("reason") or "")
            if reason not in SPECIAL_REASONS:
                add(Finding("special_reason", _level("special_reason"), "", e.occurred_at,
                            f"特别程序事由“{reason or '未注明'}”不属于行政许可法第45条所列情形"))
                break

    # no_separation
    if facts.separation_required:
        posts = {s.code: s.post for s in facts.steps}
        acceptors = {_who(e) for e in ordered if e.type == "accepted"}
        acceptors |= {_who(e) for e in ordered if e.type == "step_completed"
                      and posts.get(str((e.payload or {}).get("step") or "")) == "acceptor"}
        deciders = {_who(e) for e in ordered if e.type == "decided"}
        deciders |= {_who(e) for e in ordered if e.type == "step_completed"
                     and posts.get(str((e.payload or {}).get("step") or "")) == "decider"}
        same = (acceptors & deciders) - {""}
        if same and decided is not None:
            add(Finding("no_separation", _level("no_separation"), "", decided.occurred_at,
                        "要求审批分离的事项由同一人受理并作出决定"))
    return out


def _procedure(ordered: Sequence[Any], facts: ItemFacts) -> list[Finding]:
    out: list[Finding] = []
    steps = list(facts.steps)
    stage_of = _stages(steps)
    names = {s.code: s.name or s.code for s in steps}
    level = _level("procedure_violation")
    required = _required_before_decision(steps)
    decider = next((s.code for s in steps if s.post == "decider"), "")
    done: set[str] = set()
    accepted = False

    def complete_acceptors():
        for s in steps:
            if s.post == "acceptor":
                done.add(s.code)

    for e in ordered:
        if e.type == "accepted":
            accepted = True
            complete_acceptors()
        elif e.type == "step_completed":
            p = e.payload or {}
            code = str(p.get("step") or "")
            if code not in stage_of:
                continue
            k = stage_of[code]
            if p.get("outcome") == "return":
                back = max(k - 1, 0)
                done.difference_update({c for c, st in stage_of.items() if st >= back})
                continue
            if not accepted and steps and steps[0].post == "acceptor" and code == steps[0].code:
                accepted = True
            missing = [s.code for s in steps if stage_of[s.code] < k and s.code not in done]
            if missing:
                out.append(Finding("procedure_violation", level, code, e.occurred_at,
                                   f"环节“{names[code]}”在“{names[missing[0]]}”完成前办理，环节顺序违规"))
            done.add(code)
        elif e.type == "decided":
            if not accepted:
                out.append(Finding("procedure_violation", level, decider, e.occurred_at, "未受理即作出决定"))
                continue
            missing = [s for s in required if s.code not in done]
            if missing:
                out.append(Finding("procedure_violation", level, decider, e.occurred_at,
                                   f"缺少“{'、'.join(s.name or s.code for s in missing)}”环节即作出决定"))
    return out
