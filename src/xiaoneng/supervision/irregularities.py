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
* Events with ``backfilled`` set came in by the bulk import of history (二次入录, which the assessment orders
  entered after the fact): they never make a late report, and a case that first reached the platform that way
  is not 先批后录 — the time rules still judge them (domain rules: "a historical import … raises its card").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

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


class Finding(NamedTuple):  # immutable, and cheap to build (a few thousand per batch)
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


class _Derived(NamedTuple):
    """What the rules need of an item's steps, computed once per ``ItemFacts`` (not once per case)."""

    stage_of: dict[str, int]
    names: dict[str, str]
    required: tuple[StepFact, ...]  # steps required before a decision
    decider: str
    acceptors: frozenset[str]
    first_acceptor: str | None  # the first step's code when an acceptor holds it
    earlier: dict[str, tuple[str, ...]]  # step code -> the codes of earlier stages, in configured order
    reopened: dict[str, frozenset[str]]  # step code -> the codes a return from it re-opens
    posts: dict[str, str]


def _derived(facts: ItemFacts) -> _Derived:
    d = facts.__dict__.get("_derived")
    if d is None:
        steps = tuple(facts.steps)
        stage_of = _stages(steps)
        d = _Derived(
            stage_of=stage_of, names={s.code: s.name or s.code for s in steps},
            required=tuple(_required_before_decision(steps)),
            decider=next((s.code for s in steps if s.post == "decider"), ""),
            acceptors=frozenset(s.code for s in steps if s.post == "acceptor"),
            first_acceptor=steps[0].code if steps and steps[0].post == "acceptor" else None,
            earlier={c: tuple(s.code for s in steps if stage_of[s.code] < k) for c, k in stage_of.items()},
            reopened={c: frozenset(x for x, st in stage_of.items() if st >= max(k - 1, 0))
                      for c, k in stage_of.items()},
            posts={s.code: s.post for s in steps},
        )
        object.__setattr__(facts, "_derived", d)  # frozen dataclass: a private memo, not a field
    return d


@lru_cache(maxsize=64)
def _hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


@lru_cache(maxsize=64)
def _minutes(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


_FAST_KEY = attrgetter("occurred_at", "seq")


def _sort_key(e) -> tuple:
    return (e.occurred_at, getattr(e, "seq", 0) or 0)


# The types each rule reads: a case whose events include none of them skips the rule outright.
_PROCEDURE_TYPES = frozenset({"accepted", "step_completed", "decided"})


def evaluate(events: Iterable[Any], facts: ItemFacts, params: Mapping[str, Mapping] | None = None) -> list[Finding]:
    params = params or {}
    if not isinstance(events, (list, tuple)):
        events = list(events)
    try:  # (occurred_at, seq): C-level keys when every event has an int seq (stored events do)
        ordered = sorted(events, key=_FAST_KEY)
    except (AttributeError, TypeError):
        ordered = sorted(events, key=_sort_key)
    out: list[Finding] = []
    if not ordered:
        return out
    add = out.append
    hours = float((params.get("late_report") or {}).get("hours", 24))
    limit = _hours(hours)
    # One pass: the events by type, the receipts (off_system) and the first late event (late_report).
    by_type: dict[str, list[Any]] = {}
    receipts = []
    late = None
    for e in ordered:
        bucket = by_type.get(e.type)
        if bucket is None:
            by_type[e.type] = [e]
        else:
            bucket.append(e)
        received = getattr(e, "received_at", None)
        if received is not None:
            backfilled = getattr(e, "backfilled", False)
            receipts.append((received, backfilled))
            if late is None and not backfilled and received - e.occurred_at > limit:
                late = e
    types = by_type.keys()

    # illegal_fee
    for e in by_type.get("fee_charged", ()):
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
    if not _PROCEDURE_TYPES.isdisjoint(types):
        out.extend(_procedure([e for e in ordered if e.type in _PROCEDURE_TYPES], facts))

    # no_reason
    if "rejected" in types or "decided" in types:
        for e in (ordered if "rejected" in types else by_type["decided"]):
            if e.type == "rejected":
                if not str((e.payload or {}).get("reason") or "").strip():
                    add(Finding("no_reason", _level("no_reason"), "", e.occurred_at, "不予受理未说明理由"))
            elif e.type == "decided":
                p = e.payload or {}
                if p.get("result") == "denied" and not str(p.get("reason") or "").strip():
                    add(Finding("no_reason", _level("no_reason"), "", e.occurred_at, "不予许可未说明理由"))

    # repeated_correction
    if len(by_type.get("correction_requested", ())) > 1:
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
    for e in by_type.get("extended", ()):
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

    # late_report: the first event received more than ``hours`` after it occurred
    if late is not None:
        add(Finding("late_report", _level("late_report"), "", late.occurred_at + limit,
                    f"事件“{late.type}”发生后超过{hours:g}小时才上报"))

    # off_system
    minutes = float((params.get("off_system") or {}).get("minutes", 30))
    grace = _minutes(minutes)
    decided_events = by_type.get("decided")
    decided = decided_events[0] if decided_events else None
    first_received, first_backfilled = min(receipts) if receipts else (None, False)
    if decided is not None and first_received is not None and not first_backfilled:
        submitted = by_type["submitted"][0] if "submitted" in types else None
        if first_received > decided.occurred_at + grace:
            add(Finding("off_system", _level("off_system"), "", decided.occurred_at,
                        "办件在作出决定后才首次报送平台，疑似先批后录"))
        elif submitted is not None and facts.handling_type == "promised":
            life = [e for e in ordered if submitted.occurred_at <= e.occurred_at <= decided.occurred_at]
            received = [e.received_at for e in life if getattr(e, "received_at", None) is not None]
            if (life and decided.occurred_at - submitted.occurred_at <= grace and len(received) == len(life)
                    and max(received) - min(received) <= timedelta(seconds=1)
                    and not any(getattr(e, "backfilled", False) for e in life)):
                add(Finding("off_system", _level("off_system"), "", decided.occurred_at,
                            "承诺件从申报到决定在几分钟内一次性报送，疑似体外循环"))

    # special_reason
    for e in by_type.get("suspended", ()):
        reason = str((e.payload or {}).get("reason") or "")
        if reason not in SPECIAL_REASONS:
            add(Finding("special_reason", _level("special_reason"), "", e.occurred_at,
                        f"特别程序事由“{reason or '未注明'}”不属于行政许可法第45条所列情形"))
            break

    # no_separation
    if facts.separation_required and decided is not None:
        posts = _derived(facts).posts
        acceptors = {_who(e) for e in by_type.get("accepted", ())}
        deciders = {_who(e) for e in decided_events}
        for e in by_type.get("step_completed", ()):
            post = posts.get(str((e.payload or {}).get("step") or ""))
            if post == "acceptor":
                acceptors.add(_who(e))
            elif post == "decider":
                deciders.add(_who(e))
        if (acceptors & deciders) - {""}:
            add(Finding("no_separation", _level("no_separation"), "", decided.occurred_at,
                        "要求审批分离的事项由同一人受理并作出决定"))
    return out


def _procedure(ordered: Sequence[Any], facts: ItemFacts) -> list[Finding]:
    out: list[Finding] = []
    d = _derived(facts)
    stage_of, names = d.stage_of, d.names
    level = _level("procedure_violation")
    done: set[str] = set()
    accepted = False

    for e in ordered:
        if e.type == "accepted":
            accepted = True
            done |= d.acceptors
        elif e.type == "step_completed":
            p = e.payload or {}
            code = str(p.get("step") or "")
            if code not in stage_of:
                continue
            if p.get("outcome") == "return":
                done -= d.reopened[code]
                continue
            if not accepted and code == d.first_acceptor:
                accepted = True
            missing = None
            for c in d.earlier[code]:
                if c not in done:
                    missing = c
                    break
            if missing is not None:
                out.append(Finding("procedure_violation", level, code, e.occurred_at,
                                   f"环节“{names[code]}”在“{names[missing]}”完成前办理，环节顺序违规"))
            done.add(code)
        elif e.type == "decided":
            if not accepted:
                out.append(Finding("procedure_violation", level, d.decider, e.occurred_at, "未受理即作出决定"))
                continue
            missing_steps = [s for s in d.required if s.code not in done]
            if missing_steps:
                out.append(Finding("procedure_violation", level, d.decider, e.occurred_at,
                                   f"缺少“{'、'.join(s.name or s.code for s in missing_steps)}”环节即作出决定"))
    return out
