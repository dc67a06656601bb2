"""Registry of supervised subjects (cases, feedback items, supervision orders).

A subject model has ``next_check_at`` (indexed), ``deadlines`` (JSON list of ``{"rule", "level", "step",
"at"}``), ``department_id`` and ``region_code``. The sweep raises every passed deadline as an ``Alert``.

``register(subject_type, model, case_field=None, label_field=None, open_filter=None, item_field=None)``:
* ``case_field``: name of a FK to ``cases.Case`` (the alert's ``case``); for Case itself use ``"id"``;
* ``label_field``: a human number shown with the alert (``case_no``, …);
* ``open_filter``: a ``Q`` (or dict) selecting subjects still being handled (escalation stops otherwise);
* ``item_field``: FK to ``catalog.Item`` used for message text (``{item}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q


@dataclass(frozen=True)
class Subject:
    subject_type: str
    model: Any
    case_field: str | None = None
    label_field: str | None = None
    open_filter: Any = None
    item_field: str | None = None

    def open_q(self) -> Q:
        if self.open_filter is None:
            return Q()
        return self.open_filter if isinstance(self.open_filter, Q) else Q(**self.open_filter)


_registry: dict[str, Subject] = {}


def register(subject_type: str, model, case_field: str | None = None, *, label_field: str | None = None,
             open_filter=None, item_field: str | None = None) -> None:
    _registry[subject_type] = Subject(subject_type, model, case_field, label_field, open_filter, item_field)


def unregister(subject_type: str) -> None:
    _registry.pop(subject_type, None)


def get(subject_type: str) -> Subject | None:
    return _registry.get(subject_type)


def all_subjects() -> list[Subject]:
    return list(_registry.values())
