"""Portal write operations: applicant accounts, drafts and uploads, submission and correction.

Case state changes go through ``cases.services.record_event_or_raise`` only: ``submitted`` (channel online or
agent) on submission, ``correction_completed`` when the applicant has uploaded everything the correction
notice listed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases.models import ApplicantType, Case, CaseEvent, CaseStatus, Channel, EventType
from xiaoneng.cases.services import NewEvent, next_case_no, record_event_or_raise
from xiaoneng.catalog.models import Item, Material, VersionStatus
from xiaoneng.core import crypto
from xiaoneng.org.models import Post, PostAssignment, UserKind
from xiaoneng.org.scoping import has_post

from . import conf, uploads
from .models import (
    ApplicantProfile,
    Application,
    ApplicationFile,
    ApplicationStatus,
    FilePurpose,
)

log = logging.getLogger(__name__)
User = get_user_model()


class PortalError(Exception):
    """A refused portal action; the message is shown to the user."""


# --- accounts -------------------------------------------------------------------------------------------------


@transaction.atomic
def register_applicant(*, applicant_type: str, phone: str, name: str, password: str, id_no: str = "",
                       credit_code: str = "") -> User:
    """A new applicant account (username = phone) and its profile; the real-name verifier runs once."""
    user = User(username=phone, phone=phone, full_name=name, kind=UserKind.APPLICANT,
                credit_code=credit_code if applicant_type == ApplicantType.ORGANISATION else "")
    user.set_password(password)
    user.save()
    profile = ApplicantProfile.objects.create(
        user=user, applicant_type=applicant_type,
        id_no_cipher=crypto.encrypt(id_no) if id_no else "",
        id_no_masked=crypto.mask_id_no(id_no) if id_no else "",
    )
    run_verifier(profile, name=name, id_no=id_no, credit_code=credit_code)
    return user


def run_verifier(profile: ApplicantProfile, *, name: str, id_no: str, credit_code: str) -> None:
    verifier = conf.callable_setting("XN_PORTAL_REALNAME_VERIFIER")
    if verifier is None:
        return
    result = verifier(profile.user, name=name, id_no=id_no, credit_code=credit_code)
    profile.verification = result.status
    profile.verifier = (result.verifier or "")[:128]
    profile.verification_note = (result.note or "")[:255]
    profile.verified_at = timezone.now() if result.status == "verified" else None
    profile.save(update_fields=["verification", "verifier", "verification_note", "verified_at"])


def profile_of(user) -> ApplicantProfile | None:
    try:
        return user.applicant_profile
    except ApplicantProfile.DoesNotExist:
        return None


def is_village_agent(user) -> bool:
    return bool(user.is_authenticated and user.kind == UserKind.STAFF and has_post(user, Post.AGENT))


def can_apply(user) -> bool:
    return bool(user.is_authenticated and (user.kind == UserKind.APPLICANT or is_village_agent(user)))


# --- drafts ---------------------------------------------------------------------------------------------------


def applicable_item(code: str) -> Item | None:
    """A published item open for online application (网上申报)."""
    item = (Item.objects.select_related("department", "department__region", "current_version")
            .filter(code=code, is_active=True, current_version__status=VersionStatus.PUBLISHED).first())
    if item is None or not item.current_version.online:
        return None
    return item


def new_application(user, item: Item) -> Application:
    app = Application(user=user, item=item, version=item.current_version, on_behalf=is_village_agent(user))
    if not app.on_behalf:
        profile = profile_of(user)
        app.applicant_name = user.full_name
        app.contact_name = user.full_name if (profile is None or profile.applicant_type == "person") else ""
        app.contact_phone_cipher = crypto.encrypt(user.phone or "")
        if profile is not None:
            app.applicant_type = profile.applicant_type
            app.id_no_cipher = profile.id_no_cipher
            app.id_no_masked = profile.id_no_masked
            if profile.applicant_type == ApplicantType.ORGANISATION and user.credit_code:
                app.id_no_cipher = crypto.encrypt(user.credit_code)
                app.id_no_masked = user.credit_code
    return app


def save_fields(app: Application, data: dict) -> None:
    app.applicant_type = data.get("applicant_type") or app.applicant_type
    app.applicant_name = data.get("applicant_name", "") or ""
    id_no = (data.get("id_no") or "").strip().upper()
    if id_no and "*" not in id_no:
        app.id_no_cipher = crypto.encrypt(id_no)
        app.id_no_masked = id_no if app.applicant_type == ApplicantType.ORGANISATION else crypto.mask_id_no(id_no)
    phone = (data.get("contact_phone") or "").strip()
    if phone and "*" not in phone:
        app.contact_phone_cipher = crypto.encrypt(phone)
    app.contact_name = data.get("contact_name", "") or ""
    app.address = data.get("address", "") or ""
    app.description = data.get("description", "") or ""
    app.save()


@dataclass
class Upload:
    uploaded: object  # an UploadedFile
    material_name: str
    material: Material | None = None
    purpose: str = FilePurpose.APPLICATION


def add_files(app: Application, items: Iterable[Upload]) -> tuple[list[ApplicationFile], list[str]]:
    """Validate and store each upload; return (stored files, error messages). Refused files are not stored."""
    stored, errors = [], []
    count = app.files.count()
    for up in items:
        try:
            kind = uploads.check_upload(up.uploaded, current_count=count)
            path, size, sha = uploads.store(up.uploaded, app.storage_dir, kind)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        scanner = conf.get("XN_PORTAL_VIRUS_SCANNER")
        stored.append(ApplicationFile.objects.create(
            application=app, material=up.material, material_name=up.material_name[:255], purpose=up.purpose,
            original_name=(up.uploaded.name or "")[-255:], path=path, kind=kind, size=size, sha256=sha,
            scan_result="clean" if scanner else "",
        ))
        count += 1
    return stored, errors


def delete_file(file: ApplicationFile) -> None:
    if file.application.status != ApplicationStatus.DRAFT:
        raise PortalError(_("已提交的材料不能删除。"))
    path = uploads.resolve(file.path)
    if path is not None:
        path.unlink(missing_ok=True)
    file.delete()


def missing_required(app: Application) -> list[str]:
    have = set(app.files.filter(purpose=FilePurpose.APPLICATION).values_list("material_id", flat=True))
    return [m.name for m in app.version.materials.all() if m.required and m.id not in have]


# --- submission -----------------------------------------------------------------------------------------------


def _agent_hall_id(user) -> int | None:
    row = PostAssignment.objects.filter(user=user, post=Post.AGENT, is_active=True, hall__isnull=False).first()
    return row.hall_id if row else None


def submit(app: Application, user) -> Case:
    """Submit a complete draft: one ``submitted`` event through the single write path; the pre-acceptance
    clock (§2: answer within 5 working days) starts from it."""
    if app.status != ApplicationStatus.DRAFT:
        raise PortalError(_("该申请已经提交。"))
    problems = []
    if not app.applicant_name.strip():
        problems.append(_("请填写申请人姓名或名称。"))
    if not app.contact_phone_cipher:
        problems.append(_("请填写联系电话。"))
    if missing := missing_required(app):
        problems.append(_("以下必需材料尚未上传：%s") % "、".join(missing))
    if problems:
        raise PortalError(" ".join(problems))
    item, version = app.item, app.version
    if item.current_version_id != version.pk or version.status != VersionStatus.PUBLISHED or not version.online:
        raise PortalError(_("该事项的办事指南已更新，请重新核对后再提交。"))
    department = item.department
    agent = app.on_behalf
    channel = Channel.AGENT if agent else Channel.ONLINE
    applicant = {"type": app.applicant_type, "name": app.applicant_name.strip()}
    id_no = crypto.decrypt(app.id_no_cipher)
    if id_no:
        applicant["id_no"] = id_no
    case_fields = {"channel": channel, "applicant_phone": crypto.decrypt(app.contact_phone_cipher)}
    if agent:
        case_fields["agent_id"] = user.id
        if hall_id := _agent_hall_id(user):
            case_fields["hall_id"] = hall_id
    else:
        case_fields["applicant_user_id"] = user.id
    now = timezone.now()
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=app.pk)
        if locked.status != ApplicationStatus.DRAFT:
            raise PortalError(_("该申请已经提交。"))
        case = record_event_or_raise(NewEvent(
            case_no=next_case_no(department.region.code, timezone.localdate(now)),
            type=EventType.SUBMITTED, occurred_at=now, item_code=item.code, department_code=department.code,
            actor_id=f"{'agent' if agent else 'applicant'}:{user.id}", actor_name=user.display_name[:64],
            payload={"applicant": applicant, "channel": channel,
                     "materials": [f.material_name for f in app.files.all()]},
            case_fields=case_fields,
        ))
        app.status, app.case, app.submitted_at = ApplicationStatus.SUBMITTED, case, now
        app.save(update_fields=["status", "case", "submitted_at", "updated_at"])
    return case


# --- corrections ----------------------------------------------------------------------------------------------


def open_correction(case: Case) -> CaseEvent | None:
    """The latest correction notice not yet answered (its ``materials`` list everything missing), or None."""
    if case.status not in (CaseStatus.CORRECTION, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED):
        return None
    rows = list(case.events.filter(type__in=[EventType.CORRECTION_REQUESTED, EventType.CORRECTION_COMPLETED])
                .order_by("-occurred_at", "-seq")[:1])
    if rows and rows[0].type == EventType.CORRECTION_REQUESTED:
        return rows[0]
    return None


def latest_correction(case: Case) -> CaseEvent | None:
    return case.events.filter(type=EventType.CORRECTION_REQUESTED).order_by("-occurred_at", "-seq").first()


def correction_uploads(app: Application, notice: CaseEvent) -> dict[str, list[ApplicationFile]]:
    """Files uploaded for each listed material since the notice."""
    materials = [str(m) for m in (notice.payload or {}).get("materials", [])]
    out: dict[str, list[ApplicationFile]] = {m: [] for m in materials}
    for f in app.files.filter(purpose=FilePurpose.CORRECTION, uploaded_at__gte=notice.received_at):
        if f.material_name in out:
            out[f.material_name].append(f)
    return out


def complete_correction(app: Application, user) -> Case:
    """The applicant has uploaded every listed material: ``correction_completed`` resumes the case."""
    case = app.case
    notice = open_correction(case) if case else None
    if notice is None:
        raise PortalError(_("该申请没有待补正的告知。"))
    missing = [name for name, files in correction_uploads(app, notice).items() if not files]
    if missing:
        raise PortalError(_("以下补正材料尚未上传：%s") % "、".join(missing))
    actor = f"{'agent' if app.on_behalf else 'applicant'}:{user.id}"
    now = timezone.now()
    with transaction.atomic():
        case = record_event_or_raise(NewEvent(
            case_no=case.case_no, type=EventType.CORRECTION_COMPLETED, occurred_at=now,
            actor_id=actor, actor_name=user.display_name[:64],
            payload={"channel": Channel.AGENT if app.on_behalf else Channel.ONLINE,
                     "materials": list(correction_uploads(app, notice))},
        ))
        _close_workbench_notice(case, now)
    return case


def _close_workbench_notice(case: Case, at) -> None:
    """Keep the workbench's correction-notice register in step (its own model, when installed)."""
    try:
        from xiaoneng.workbench.models import CorrectionNotice
    except ImportError:  # pragma: no cover - the workbench app is optional
        return
    CorrectionNotice.objects.filter(case=case, completed_at__isnull=True).update(completed_at=at)
