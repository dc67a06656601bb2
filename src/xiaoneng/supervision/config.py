"""Effective rule settings: ``RuleConfig`` rows with per-department / per-item ``RuleOverride`` applied.

The tables are small; they are loaded once per process and reloaded when this process changes them (signals)
or at most ``CACHE_SECONDS`` later (changes made by another process).

* :func:`setting` — the effective settings of one rule for a department / item;
* :func:`deadline_policy` — the ``cases.clock.DeadlinePolicy`` for a case (the case engine's policy provider);
* :func:`thresholds` — time-rule thresholds for the feedback subjects and ``order_reply``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .catalogue import CASE_TIME_RULES, DEFAULTS_BY_CODE, LEVELS

CACHE_SECONDS = 30.0

_lock = threading.Lock()
_cache: dict[str, Any] = {"loaded": 0.0, "rules": None, "overrides": None}


@dataclass(frozen=True)
class RuleSetting:
    code: str
    name: str
    kind: str
    enabled: bool
    level: str  # default level (irregularities); "" for time rules
    thresholds: dict = field(default_factory=dict)
    issue_mode: str = "auto"
    escalation_days: tuple = (1, 2)

    @property
    def initial_status(self) -> str:
        return "pending" if self.issue_mode == "confirm" else "issued"


def invalidate(*args, **kwargs) -> None:
    with _lock:
        _cache["loaded"] = 0.0
        _cache["generation"] = _cache.get("generation", 0) + 1


def _load() -> tuple[dict, dict]:
    now = time.monotonic()
    with _lock:
        if _cache["rules"] is not None and now - _cache["loaded"] < CACHE_SECONDS:
            return _cache["rules"], _cache["overrides"]
        generation = _cache.get("generation", 0)
    from .models import RuleConfig, RuleOverride

    rules = {}
    for row in RuleConfig.objects.all():
        rules[row.code] = row
    overrides: dict[tuple, Any] = {}
    for ov in RuleOverride.objects.select_related("rule"):
        overrides[(ov.rule.code, ov.department_id, ov.item_id)] = ov
    with _lock:
        # A change committed while we read (another thread, e.g. the worker or a live server) invalidated what we
        # read: use it for this call only, do not cache it for 30 s.
        if _cache.get("generation", 0) == generation:
            _cache.update(loaded=now, rules=rules, overrides=overrides)
    return rules, overrides


def _base(code: str, rules: dict) -> RuleSetting:
    row = rules.get(code)
    if row is not None:
        return RuleSetting(row.code, row.name, row.kind, row.enabled, row.default_level, dict(row.thresholds or {}),
                           row.issue_mode, tuple(row.escalation_days or ()))
    d = DEFAULTS_BY_CODE[code]
    return RuleSetting(code, d["name"], d["kind"], d["enabled"], d["default_level"], dict(d["thresholds"]),
                       d["issue_mode"], tuple(d["escalation_days"]))


def _apply(s: RuleSetting, ov) -> RuleSetting:
    thresholds = dict(s.thresholds)
    for key, value in (ov.thresholds or {}).items():
        if value is None:
            thresholds.pop(key, None)
        else:
            thresholds[key] = value
    return RuleSetting(
        s.code, s.name, s.kind,
        s.enabled if ov.enabled is None else ov.enabled,
        s.level, thresholds, ov.issue_mode or s.issue_mode, s.escalation_days,
    )


def setting(code: str, department_id: int | None = None, item_id: int | None = None) -> RuleSetting:
    """Rule ``code`` for a department / item: rule row < department override < item override."""
    rules, overrides = _load()
    s = _base(code, rules)
    if not overrides:
        return s
    for key in ((code, department_id, None), (code, None, item_id), (code, department_id, item_id)):
        if (key[1] is None and key[2] is None) or key not in overrides:
            continue
        s = _apply(s, overrides[key])
    return s


def initial_statuses(codes) -> dict[str, str | None]:
    """The initial card status of each rule in ``codes`` (None: the rule is off), for set-based SQL.

    Keyed "rule|department|item" ('' for any). Look up the most specific key first — rule|d|i, rule||i,
    rule|d|, rule|| — and the first present one is exactly ``setting(rule, d, i)``: every department × item
    pair that two overrides of the rule could combine is listed.
    """
    overrides = _load()[1]
    out: dict[str, str | None] = {}
    for code in codes:
        depts = {""} | {str(d) for c, d, _i in overrides if c == code and d is not None}
        items = {""} | {str(i) for c, _d, i in overrides if c == code and i is not None}
        for d in depts:
            for i in items:
                s = setting(code, int(d) if d else None, int(i) if i else None)
                out[f"{code}|{d}|{i}"] = s.initial_status if s.enabled else None
    return out


def has_overrides() -> bool:
    return bool(_load()[1])


def thresholds(code: str, department_id: int | None = None, item_id: int | None = None) -> dict[str, tuple]:
    """``{level: (anchor, days)}`` of an enabled time rule ({} when disabled)."""
    s = setting(code, department_id, item_id)
    if not s.enabled:
        return {}
    return {lv: (spec["anchor"], float(spec["days"])) for lv, spec in s.thresholds.items()
            if lv in LEVELS and isinstance(spec, dict) and spec.get("anchor") is not None}


def deadline_policy(department_id: int | None = None, item_id: int | None = None):
    """The ``DeadlinePolicy`` (case time rules) in force for a department / item."""
    from xiaoneng.cases.clock import DeadlinePolicy

    rows: list[dict] = []
    for code in CASE_TIME_RULES:
        s = setting(code, department_id, item_id)
        rows.append({"rule": code, "enabled": s.enabled})
        for level in LEVELS:
            spec = s.thresholds.get(level)
            if isinstance(spec, dict) and spec.get("anchor") is not None and spec.get("days") is not None:
                rows.append({"rule": code, "level": level, "anchor": spec["anchor"], "days": spec["days"]})
            else:
                rows.append({"rule": code, "level": level, "anchor": None, "days": None})
    return DeadlinePolicy.from_rows(rows)


def policy_provider(*args, **kwargs):
    """Adapter for ``xiaoneng.cases.policy.set_policy_provider``: accepts a case (or anything with
    ``department_id`` / ``item_id``) positionally or by keyword, or ``department_id=`` / ``item_id=``."""
    subject = args[0] if args else kwargs.get("case")
    department_id = kwargs.get("department_id", getattr(subject, "department_id", None))
    item_id = kwargs.get("item_id", getattr(subject, "item_id", None))
    if len(args) >= 2 and department_id is None:
        department_id, item_id = args[0], args[1]
    return deadline_policy(department_id, item_id)
