"""Deadlines of feedback items (domain-rules §3–4): a pure module, no Django, no ORM.

Rules (codes as in the alert API) and their default thresholds, in working days relative to the due:

=================  =======================  ==========  ===============  ===============
rule               subject / step           warning     yellow           red
=================  =======================  ==========  ===============  ===============
``consultation``   reply (step ``reply``)   due − 2     due + 1 (+1 s)   due + 2 (+1 s)
``complaint``      accept or decline        due − 2     due + 1 (+1 s)   due + 2 (+1 s)
                   (step ``accept``),
                   resolve and reply
                   (step ``resolve``)
``rectification``  差评 rectification        due − 1     due (+1 s)       due + 3 (+1 s)
                   (step ``rectify``)
=================  =======================  ==========  ===============  ===============

Due dates (``WorkCalendar.due_after``: close of office hours of the N-th working day after the start date, the
start day itself not counted): consultation reply 3 wd after receipt; complaint acceptance 5 wd after receipt;
complaint resolution 15 wd after acceptance; 差评 rectification 5 wd after the rating was given.

Conventions — the same as the case clock (``xiaoneng.cases.clock``):

* ``days < 0``: the instant that many working days of working time before the due
  (``subtract_working_seconds``); live only if it falls after the subject's start.
* ``days >= 0``: one second after ``due + days`` working days (``add_working_seconds(due, days * spd) + 1 s``):
  overdue by one second counts. A level applies at ``now >= at``.
* A subject closed at ``closed_at`` keeps only the thresholds with ``at <= closed_at`` (a late close still gets
  its cards); an open subject keeps all of them.
* ``next_check_at``: the earliest threshold after ``now``; when there is none but passed thresholds remain
  (typically a late close), ``now`` so that the next sweep raises them (raising is idempotent); otherwise None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

__all__ = [
    "LEVELS",
    "POLICIES",
    "Deadline",
    "Projection",
    "RulePolicy",
    "Subject",
    "complaint_subjects",
    "consultation_subjects",
    "project",
    "rectification_subjects",
]

ONE_SECOND = timedelta(seconds=1)
LEVELS = ("warning", "yellow", "red")
_LEVEL_RANK = {"normal": 0, "warning": 1, "yellow": 2, "red": 3}


class Calendar(Protocol):  # the subset of xiaoneng.workcal.worktime.WorkCalendar used here
    seconds_per_day: int

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime: ...
    def subtract_working_seconds(self, end: datetime, seconds: int) -> datetime: ...
    def due_after(self, accepted_at: datetime, days: int, unit: str = "workday") -> datetime: ...


@dataclass(frozen=True)
class RulePolicy:
    """Threshold offsets in working days relative to the due (None: the level does not exist)."""

    warning: float | None
    yellow: float | None
    red: float | None

    def items(self) -> Iterable[tuple[str, float]]:
        for level in LEVELS:
            days = getattr(self, level)
            if days is not None:
                yield level, days


POLICIES: Mapping[str, RulePolicy] = {
    "consultation": RulePolicy(warning=-2, yellow=1, red=2),
    "complaint": RulePolicy(warning=-2, yellow=1, red=2),
    "rectification": RulePolicy(warning=-1, yellow=0, red=3),
}


@dataclass(frozen=True)
class Subject:
    """One supervised period: started at ``start``, due at ``due``, closed at ``closed_at`` (None: open)."""

    rule: str
    step: str
    start: datetime
    due: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    rule: str
    level: str
    step: str
    at: datetime

    def as_json(self) -> dict:
        return {"rule": self.rule, "level": self.level, "step": self.step, "at": self.at.isoformat()}


@dataclass(frozen=True)
class Projection:
    deadlines: tuple[Deadline, ...]
    next_check_at: datetime | None
    state: str  # normal / warning / yellow / red (highest level passed by an open subject) / done

    def deadlines_json(self) -> list[dict]:
        return [d.as_json() for d in self.deadlines]


def threshold_at(cal: Calendar, subject: Subject, days: float) -> datetime | None:
    seconds = round(abs(days) * cal.seconds_per_day)
    if days < 0:
        at = cal.subtract_working_seconds(subject.due, seconds)
        return at if at > subject.start else None
    return (cal.add_working_seconds(subject.due, seconds) if seconds else subject.due) + ONE_SECOND


def project(
    cal: Calendar,
    subjects: Iterable[Subject],
    now: datetime,
    policies: Mapping[str, RulePolicy] | None = None,
) -> Projection:
    policies = POLICIES if policies is None else policies
    best: dict[tuple[str, str, str], datetime] = {}
    state_rank = 0
    any_open = False
    for subject in subjects:
        policy = policies.get(subject.rule)
        if policy is None:
            continue
        if subject.closed_at is None:
            any_open = True
        for level, days in policy.items():
            at = threshold_at(cal, subject, days)
            if at is None:
                continue
            if subject.closed_at is not None and at > subject.closed_at:
                continue
            if subject.closed_at is None and now >= at:
                state_rank = max(state_rank, _LEVEL_RANK[level])
            key = (subject.rule, level, subject.step)
            if key not in best or at < best[key]:
                best[key] = at
    deadlines = tuple(
        sorted(
            (Deadline(rule, level, step, at) for (rule, level, step), at in best.items()),
            key=lambda d: (d.at, _LEVEL_RANK[d.level], d.step),
        )
    )
    future = [d.at for d in deadlines if d.at > now]
    if future:
        next_check_at = min(future)
    elif deadlines:
        next_check_at = now
    else:
        next_check_at = None
    if not any_open:
        state = "done"
    else:
        state = [k for k, v in _LEVEL_RANK.items() if v == state_rank][0]
    return Projection(deadlines, next_check_at, state)


# --- subjects per kind ------------------------------------------------------------------------------------------


def consultation_subjects(
    cal: Calendar, received_at: datetime, replied_at: datetime | None, closed_at: datetime | None = None,
    days: int = 3,
) -> list[Subject]:
    due = cal.due_after(received_at, days)
    end = replied_at or closed_at
    return [Subject("consultation", "reply", received_at, due, end)]


def complaint_subjects(
    cal: Calendar,
    received_at: datetime,
    accepted_at: datetime | None,
    declined_at: datetime | None,
    resolved_at: datetime | None,
    accept_days: int = 5,
    resolve_days: int = 15,
) -> list[Subject]:
    accept_due = cal.due_after(received_at, accept_days)
    subjects = [Subject("complaint", "accept", received_at, accept_due, accepted_at or declined_at)]
    if accepted_at is not None:
        resolve_due = cal.due_after(accepted_at, resolve_days)
        subjects.append(Subject("complaint", "resolve", accepted_at, resolve_due, resolved_at))
    return subjects


def rectification_subjects(
    cal: Calendar, rated_at: datetime, is_bad: bool, rectified_at: datetime | None,
    removed_at: datetime | None, days: int = 5,
) -> list[Subject]:
    if not is_bad:
        return []
    due = cal.due_after(rated_at, days)
    closed = [t for t in (rectified_at, removed_at) if t is not None]
    return [Subject("rectification", "rectify", rated_at, due, min(closed) if closed else None)]
