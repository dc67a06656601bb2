"""Catalogue write path: create and edit drafts, publish (validated, immutable), new drafts from published versions.

Every function here is the only supported way to change the catalogue; views, the admin, the Excel import and the
demo go through it. ``user=None`` means the system itself (a management command); a user is checked against the
departments they administer (部门管理员) — superusers administer all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xiaoneng.org.models import Department, Post
from xiaoneng.org.scoping import managed_department_ids

from .models import (
    Fee,
    HandlingType,
    Item,
    ItemVersion,
    Material,
    PublishedVersionError,
    Step,
    VersionStatus,
)
from .validation import FeeSpec, Problem, StepSpec, VersionSpec, validate_version

VERSION_FIELDS = (
    "handling_type", "legal_basis", "conditions", "procedure", "limit_unit", "statutory_days", "promised_days",
    "max_extension_days", "location", "office_hours", "consult_phone", "complaint_phone", "visits_required",
    "online", "separation_required", "report_to", "effective_from",
)
ITEM_FIELDS = ("name", "item_type", "department", "life_event", "keywords", "is_active")


class CatalogError(Exception):
    """A refused catalogue change, with a Chinese message fit for the user and the problems behind it."""

    def __init__(self, message: str, code: str = "invalid", problems: Sequence[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.problems = list(problems)


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    form: str = "原件"
    copies: int = 1
    required: bool = True
    note: str = ""


# --- permissions ------------------------------------------------------------------------------------------

def can_manage_department(user, department_id: int | None) -> bool:
    """Whether ``user`` may change the catalogue of a department (None user = the system)."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    ids = managed_department_ids(user)
    return ids is None or department_id in ids


def _ensure_can_manage(user, department_id: int | None) -> None:
    if not can_manage_department(user, department_id):
        raise CatalogError("您无权管理该部门的事项。", "department_not_allowed")


def _ensure_draft(version: ItemVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise CatalogError(f"版本 v{version.number} 已发布，不可修改；请基于它新建草稿版本。", "version_immutable")


# --- default process -------------------------------------------------------------------------------------

def default_steps(promised_days: int, handling_type: str = HandlingType.PROMISED) -> list[StepSpec]:
    """The default process (受理→初审→复审→决定→办结告知) fitted into the promised limit; shorter for short limits."""
    if handling_type == HandlingType.INSTANT or promised_days <= 0:
        return [StepSpec("accept", "受理", Post.ACCEPTOR, 0), StepSpec("decide", "审核办结", Post.DECIDER, 0)]
    if promised_days == 1:  # 受理 on the day, decided the next working day
        return [StepSpec("accept", "受理", Post.ACCEPTOR, 0), StepSpec("decide", "决定", Post.DECIDER, 1)]
    if promised_days < 5:  # 2–4 days: 受理 (on the day if the limit is 2), one review, 决定 — no 0-day review
        accept = 0 if promised_days == 2 else 1
        return [
            StepSpec("accept", "受理", Post.ACCEPTOR, accept),
            StepSpec("review1", "审核", Post.REVIEWER1, promised_days - accept - 1),
            StepSpec("decide", "决定", Post.DECIDER, 1),
        ]
    rest = promised_days - 2  # 受理 and 办结告知 take one day each
    review1 = max(1, math.floor(rest * 0.45))
    review2 = max(1, math.floor(rest * 0.25))
    decide = max(1, rest - review1 - review2)
    return [
        StepSpec("accept", "受理", Post.ACCEPTOR, 1),
        StepSpec("review1", "初审", Post.REVIEWER1, review1),
        StepSpec("review2", "复审", Post.REVIEWER2, review2),
        StepSpec("decide", "决定", Post.DECIDER, decide),
        StepSpec("notify", "办结告知", Post.NOTIFIER, 1),
    ]


# --- reading ---------------------------------------------------------------------------------------------

def spec_of(version: ItemVersion) -> VersionSpec:
    """The pure-data view of a stored version, for ``validation.validate_version``."""
    steps = [
        StepSpec(s.code, s.name, s.post, s.days, s.parallel_group, s.department.code if s.department_id else "")
        for s in version.steps.select_related("department").order_by("order", "id")
    ]
    fees = [FeeSpec(f.code, f.name, f.amount, f.basis) for f in version.fees.order_by("id")]
    return VersionSpec(
        handling_type=version.handling_type, statutory_days=version.statutory_days,
        promised_days=version.promised_days, steps=steps, fees=fees,
        report_to=version.report_to.code if version.report_to_id else "",
        max_extension_days=version.max_extension_days,
    )


def check(version: ItemVersion) -> list[Problem]:
    return validate_version(spec_of(version))


def content_signature(version: ItemVersion) -> tuple:
    """Everything a version publishes, as a comparable value (used to make re-imports idempotent)."""
    def value(name):
        v = getattr(version, name + "_id" if name == "report_to" else name)
        return str(v) if v is not None else ""
    head = tuple(value(name) for name in VERSION_FIELDS)
    steps = tuple(
        (s.order, s.code, s.name, s.post, s.days, s.department_id or 0, s.parallel_group)
        for s in version.steps.order_by("order", "id")
    )
    fees = tuple((f.code, f.name, f.amount.quantize(Decimal("0.01")), f.basis) for f in version.fees.order_by("code"))
    materials = tuple(
        (m.order, m.name, m.form, m.copies, m.required, m.note) for m in version.materials.order_by("order", "id")
    )
    return head, steps, fees, materials


# --- writing ---------------------------------------------------------------------------------------------

def _resolve_department(value) -> Department | None:
    if value in (None, ""):
        return None
    if isinstance(value, Department):
        return value
    dept = Department.objects.filter(code=str(value)).first()
    if dept is None:
        raise CatalogError(f"部门编码“{value}”不存在。", "unknown_department")
    return dept


def _apply_version_fields(version: ItemVersion, values: Mapping) -> None:
    for name, value in values.items():
        if name not in VERSION_FIELDS:
            raise CatalogError(f"未知的版本字段：{name}", "unknown_field")
        if name == "report_to":
            value = _resolve_department(value)
        setattr(version, name, value)


@transaction.atomic
def create_item(*, code: str, name: str, item_type: str, department: Department, user=None, life_event: str = "",
                keywords: str = "", steps: Iterable | None = None, fees: Iterable | None = None,
                materials: Iterable | None = None, **version_fields) -> ItemVersion:
    """Create an item with its first draft (v1). Steps default to the standard process fitted to the limit."""
    _ensure_can_manage(user, department.id)
    if Item.objects.filter(code=code).exists():
        raise CatalogError(f"事项编码“{code}”已存在。", "duplicate_code")
    item = Item.objects.create(code=code, name=name, item_type=item_type, department=department,
                               life_event=life_event, keywords=keywords)
    version = ItemVersion(item=item, number=1, status=VersionStatus.DRAFT, statutory_days=0, promised_days=0)
    _apply_version_fields(version, version_fields)
    version.save()
    if steps is None:
        steps = default_steps(version.promised_days or 0, version.handling_type)
    set_steps(version, steps)
    set_fees(version, fees or ())
    set_materials(version, materials or ())
    return version


def update_item(item: Item, user=None, **values) -> Item:
    """Change the item's own (unversioned) fields: name, type, department, theme, keywords."""
    _ensure_can_manage(user, item.department_id)
    for name, value in values.items():
        if name not in ITEM_FIELDS:
            raise CatalogError(f"未知的事项字段：{name}", "unknown_field")
        if name == "department":
            value = _resolve_department(value)
            _ensure_can_manage(user, value.id)
        setattr(item, name, value)
    item.save()
    return item


def update_draft(version: ItemVersion, user=None, **values) -> ItemVersion:
    """Change a draft's guide fields; a published version is refused."""
    _ensure_can_manage(user, version.item.department_id)
    _ensure_draft(version)
    _apply_version_fields(version, values)
    version.save()
    return version


def _spec(obj, cls):
    if isinstance(obj, cls):
        return obj
    if isinstance(obj, Mapping):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in obj.items() if k in names})
    return cls(*obj)


def set_steps(version: ItemVersion, steps: Iterable, user=None) -> list[Step]:
    """Replace a draft's steps (StepSpec, mappings or tuples in order)."""
    _ensure_can_manage(user, version.item.department_id)
    _ensure_draft(version)
    specs = [_spec(s, StepSpec) for s in steps]
    codes = {s.department_code for s in specs if s.department_code}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    missing = codes - departments.keys()
    if missing:
        raise CatalogError(f"协办部门编码不存在：{'、'.join(sorted(missing))}", "unknown_department")
    version.steps.all().delete()
    rows = [
        Step(version=version, order=order, code=s.code, name=s.name or s.code, post=s.post or Post.REVIEWER1,
             days=int(s.days or 0), parallel_group=s.parallel_group or "",
             department=departments.get(s.department_code) if s.department_code else None)
        for order, s in enumerate(specs, start=1)
    ]
    return Step.objects.bulk_create(rows)


def set_fees(version: ItemVersion, fees: Iterable, user=None) -> list[Fee]:
    _ensure_can_manage(user, version.item.department_id)
    _ensure_draft(version)
    specs = [_spec(f, FeeSpec) for f in fees]
    for spec in specs:
        if Decimal(str(spec.amount)) < 0:
            raise CatalogError(f"收费项目“{spec.code}”的金额不能为负数。", "negative_fee")
    version.fees.all().delete()
    return Fee.objects.bulk_create(
        [Fee(version=version, code=f.code, name=f.name or f.code, amount=Decimal(str(f.amount)), basis=f.basis or "")
         for f in specs]
    )


def set_materials(version: ItemVersion, materials: Iterable, user=None) -> list[Material]:
    _ensure_can_manage(user, version.item.department_id)
    _ensure_draft(version)
    specs = [_spec(m, MaterialSpec) if not isinstance(m, str) else MaterialSpec(m) for m in materials]
    version.materials.all().delete()
    return Material.objects.bulk_create(
        [Material(version=version, order=order, name=m.name, form=m.form or "原件", copies=m.copies or 1,
                  required=bool(m.required), note=m.note or "") for order, m in enumerate(specs, start=1)]
    )


@transaction.atomic
def publish(version: ItemVersion, user=None) -> ItemVersion:
    """Validate and publish a draft: it becomes the item's current version and the previous one is retired.

    Raises ``CatalogError`` (code ``validation_failed``, with ``problems``) when the draft breaks a rule.
    """
    item = Item.objects.select_for_update().get(pk=version.item_id)
    _ensure_can_manage(user, item.department_id)
    version = ItemVersion.objects.get(pk=version.pk)
    _ensure_draft(version)
    problems = check(version)
    if problems:
        raise CatalogError("；".join(p.message for p in problems), "validation_failed", problems)
    (ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).exclude(pk=version.pk)
     .update(status=VersionStatus.RETIRED))
    ItemVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now(),
        published_by=user if getattr(user, "pk", None) else None,
    )
    item.current_version_id = version.pk
    item.save(update_fields=["current_version"])
    version.refresh_from_db()
    return version


def current_draft(item: Item) -> ItemVersion | None:
    return item.versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()


@transaction.atomic
def new_draft_from(version: ItemVersion, user=None) -> ItemVersion:
    """Copy a version (usually the published one) as the item's next draft number, with steps, fees, materials."""
    item = Item.objects.select_for_update().get(pk=version.item_id)
    _ensure_can_manage(user, item.department_id)
    existing = current_draft(item)
    if existing is not None:
        raise CatalogError(f"该事项已有草稿版本 v{existing.number}，请先编辑或发布该草稿。", "draft_exists")
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    source = ItemVersion.objects.get(pk=version.pk)
    steps = list(source.steps.all())
    fees = list(source.fees.all())
    materials = list(source.materials.all())
    source.pk = source.id = None
    source._state.adding = True
    source.number = number
    source.status = VersionStatus.DRAFT
    source.published_at = None
    source.published_by = None
    source.save()
    for rows in (steps, fees, materials):
        for row in rows:
            row.pk = row.id = None
            row._state.adding = True
            row.version = source
    Step.objects.bulk_create(steps)
    Fee.objects.bulk_create(fees)
    Material.objects.bulk_create(materials)
    return source


def draft_for(item: Item, user=None) -> tuple[ItemVersion, bool]:
    """The item's editable draft: the existing one, or a new draft copied from the current version.

    Returns (draft, created)."""
    existing = current_draft(item)
    if existing is not None:
        _ensure_can_manage(user, item.department_id)
        return existing, False
    source = item.current_version or item.versions.order_by("-number").first()
    if source is None:
        _ensure_can_manage(user, item.department_id)
        draft = ItemVersion.objects.create(item=item, number=1, statutory_days=0, promised_days=0)
        return draft, True
    return new_draft_from(source, user), True


def discard_draft(version: ItemVersion, user=None) -> None:
    _ensure_can_manage(user, version.item.department_id)
    _ensure_draft(version)
    version.delete()


__all__ = [
    "CatalogError", "MaterialSpec", "StepSpec", "FeeSpec", "PublishedVersionError", "can_manage_department",
    "check", "content_signature", "create_item", "current_draft", "default_steps", "discard_draft", "draft_for",
    "new_draft_from", "publish", "set_fees", "set_materials", "set_steps", "spec_of", "update_draft",
    "update_item",
]
