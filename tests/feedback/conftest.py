"""Feedback fixtures: the shared county plus a service centre, a window and cases in several states."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from tests.factories import UserFactory
from xiaoneng.cases.models import Case, CaseStatus
from xiaoneng.org.models import Department, DepartmentKind, Post, PostAssignment, Window

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@dataclass
class FeedbackWorld:
    county: object
    centre: Department
    centre_staff: object
    supervision: Department
    window: Window
    decided: Case
    delivered: Case
    open_case: Case
    b_decided: Case


def make_case(fx, case_no: str, status: str, *, rating_code="R1234567", query_code="Q7654321",
              decided_at=None) -> Case:
    version = fx.version
    return Case.objects.create(
        case_no=case_no, region_code=fx.department.region.code, department=fx.department, item=version.item,
        item_version=version, status=status, rating_code=rating_code, query_code=query_code,
        applicant_name="张三", decided_at=decided_at,
    )


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The county fixture creates ~20 users: argon2 makes that slow on a loaded machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(county) -> FeedbackWorld:
    centre = Department.objects.create(code="ZX", name="测试县政务服务中心", region=county.county,
                                       kind=DepartmentKind.SERVICE_CENTRE)
    centre_staff = UserFactory(username="centre_leader", department=centre)
    PostAssignment.objects.create(user=centre_staff, department=centre, post=Post.LEADER)
    supervision = Department.objects.get(code="JC")
    window = Window.objects.create(hall=county.hall, number="08", name="市场监管综合窗口")
    window.departments.add(county.a.department)
    PostAssignment.objects.filter(user=county.a.staff[Post.ACCEPTOR], department=county.a.department,
                                  post=Post.ACCEPTOR).update(hall=county.hall, window=window)
    decided = make_case(county.a, "330122-20261101-0001", CaseStatus.DECIDED, decided_at=at(2026, 11, 2, 10))
    delivered = make_case(county.a, "330122-20261101-0002", CaseStatus.DELIVERED, rating_code="R2222222",
                          decided_at=at(2026, 11, 3, 10))
    open_case = make_case(county.a, "330122-20261101-0003", CaseStatus.ACCEPTED, rating_code="R3333333")
    b_decided = make_case(county.b, "330122-20261101-0004", CaseStatus.DECIDED, rating_code="R4444444",
                          decided_at=at(2026, 11, 3, 11))
    return FeedbackWorld(county, centre, centre_staff, supervision, window, decided, delivered, open_case,
                         b_decided)
