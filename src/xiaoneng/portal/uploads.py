"""Uploaded materials: type checked by extension AND magic bytes, size and count limits, stored under
MEDIA_ROOT/applications/<random dir>/<random name> (MEDIA_ROOT is outside the web root and has no URL: files
are only served by ``views.download``), optional virus-scan hook (``conf.XN_PORTAL_VIRUS_SCANNER``)."""

from __future__ import annotations

import hashlib
import secrets
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import conf

ALLOWED = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png", "docx": "docx"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ACCEPT_ATTR = ".pdf,.jpg,.jpeg,.png,.docx"


def extension_kind(name: str) -> str | None:
    suffix = Path(name or "").suffix.lower().lstrip(".")
    return ALLOWED.get(suffix)


def sniff(head: bytes, fileobj) -> str | None:
    """The type the content really is (by magic bytes), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            fileobj.seek(0)
            with zipfile.ZipFile(fileobj) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            fileobj.seek(0)
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    return None


def check_upload(uploaded, *, current_count: int) -> str:
    """Validate one uploaded file; return its kind or raise ValidationError (nothing is stored)."""
    max_files = conf.get("XN_PORTAL_MAX_FILES")
    if current_count >= max_files:
        raise ValidationError(_("每件申请最多上传 %(n)s 个文件。") % {"n": max_files}, code="count")
    max_bytes = conf.get("XN_PORTAL_MAX_FILE_BYTES")
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("文件“%(name)s”超过 %(mb)s MB。") % {"name": uploaded.name, "mb": max_bytes // (1024 * 1024)},
            code="size")
    if uploaded.size == 0:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": uploaded.name}, code="empty")
    kind = extension_kind(uploaded.name)
    if kind is None:
        raise ValidationError(
            _("文件“%(name)s”的类型不允许：只接受 PDF、JPG、PNG、DOCX。") % {"name": uploaded.name}, code="type")
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if sniff(head, uploaded) != kind:
        raise ValidationError(
            _("文件“%(name)s”的内容与扩展名不符，已拒收。") % {"name": uploaded.name}, code="magic")
    return kind


def applications_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "applications"


def store(uploaded, storage_dir: str, kind: str) -> tuple[str, int, str]:
    """Write the file under a random name; run the virus-scan hook; return (relative path, size, sha256)."""
    directory = applications_root() / storage_dir
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{kind}"
    target = directory / name
    digest = hashlib.sha256()
    size = 0
    uploaded.seek(0)
    with open(target, "xb") as out:
        for chunk in uploaded.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    target.chmod(0o600)
    scanner = conf.callable_setting("XN_PORTAL_VIRUS_SCANNER")
    if scanner is not None:
        reason = scanner(target)
        if reason:
            target.unlink(missing_ok=True)
            raise ValidationError(_("文件“%(name)s”未通过病毒扫描：%(reason)s") % {"name": uploaded.name,
                                                                                  "reason": reason}, code="virus")
    relative = target.relative_to(Path(settings.MEDIA_ROOT)).as_posix()
    return relative, size, digest.hexdigest()


def resolve(relative: str) -> Path | None:
    """The absolute path of a stored file, refusing anything outside MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path
