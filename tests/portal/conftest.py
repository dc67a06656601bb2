"""Portal fixtures: applicants, an online item, file payloads and the clerk's actions via the write path."""

import io
import zipfile
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xiaoneng.cases.services import NewEvent, record_event_or_raise
from xiaoneng.org.models import Post, PostAssignment, User, UserKind
from xiaoneng.portal import services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def upload(name: str, content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    cache.clear()
    yield
    cache.clear()


def make_applicant(phone: str, name: str = "张三", id_no: str = "11010519491231002X") -> User:
    return services.register_applicant(applicant_type="person", phone=phone, name=name, password="Xn-pass-2026!",
                                       id_no=id_no)


@pytest.fixture
def applicant(county):
    return make_applicant("13800000001")


@pytest.fixture
def other_applicant(county):
    return make_applicant("13900000002", name="李四", id_no="110105194912310021"[:17] + "X")


@pytest.fixture
def item(county):
    """County department A's published item (online, materials 申请书 + 身份证明)."""
    return county.a.version.item


@dataclass
class Clerk:
    county: object

    def act(self, case, type_, post=Post.ACCEPTOR, **payload):
        user = self.county.a.staff[post]
        return record_event_or_raise(NewEvent(
            case_no=case.case_no, type=type_, occurred_at=timezone.now(), actor_id=str(user.pk),
            actor_name=user.display_name, payload=payload))

    def steps_through(self, case, codes=("review1", "review2", "decide", "notify")):
        posts = {"accept": Post.ACCEPTOR, "review1": Post.REVIEWER1, "review2": Post.REVIEWER2,
                 "decide": Post.DECIDER, "notify": Post.NOTIFIER}
        for code in codes:
            case = self.act(case, "step_completed", posts[code], step=code, outcome="pass")
        return case


@pytest.fixture
def clerk(county):
    return Clerk(county)


@pytest.fixture
def agent_user(county):
    user = User.objects.create_user(username="agent_east", password="Xn-pass-2026!", full_name="王代办",
                                    kind=UserKind.STAFF, department=county.a.department)
    PostAssignment.objects.create(user=user, department=county.a.department, post=Post.AGENT)
    return user
