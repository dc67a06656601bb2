"""Workbench fixtures: the shared county plus the extra people, halls and items the scenarios need."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory, make_item
from xiaoneng.cases.models import Case
from xiaoneng.catalog.models import HandlingType, ItemVersion, Step
from xiaoneng.org.models import Department, Hall, HallLevel, Post, PostAssignment, Window
from xiaoneng.workcal.worktime import SHANGHAI

CASE_URL = "/staff/cases/c/{}/"


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Travel:
    """Time travel: every ``timezone.now()`` (the engine, the workbench, Django) returns the travelled instant."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.current = None

    def to(self, when: datetime) -> datetime:
        self.current = when
        self.monkeypatch.setattr(timezone, "now", lambda: self.current)
        return when

    def forward(self, **delta) -> datetime:
        return self.to(self.current + timedelta(**delta))


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 costs ~1 s per test user on a loaded machine; test accounts do not need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def travel(monkeypatch):
    return Travel(monkeypatch)


@dataclass
class World:
    county: object
    a: object
    b: object
    chief_rep: object
    substitute: object
    agent: object
    village_hall: Hall
    township_hall: Hall
    city_department: Department
    city_decider: object
    report_version: object
    joint_version: object
    instant_version: object


@pytest.fixture
def world(county):
    a, b = county.a, county.b
    dept_a = a.department
    # 首席代表 of A at the county hall; B岗 substitute for A's reviewer1.
    chief = UserFactory(username="a_chief_rep", department=dept_a, full_name="首席代表甲")
    PostAssignment.objects.create(user=chief, department=dept_a, post=Post.CHIEF_REP, hall=county.hall)
    substitute = UserFactory(username="a_sub", department=dept_a, full_name="B岗乙")
    PostAssignment.objects.filter(department=dept_a, post=Post.REVIEWER1).update(substitute=substitute)
    # Halls: county ← township ← village; A has a window in the township hall.
    township_hall = Hall.objects.create(name="城关镇便民服务中心", level=HallLevel.TOWNSHIP, region=county.township,
                                        parent=county.hall)
    village_hall = Hall.objects.create(name="东村便民服务室", level=HallLevel.VILLAGE, region=county.village,
                                       parent=township_hall)
    window = Window.objects.create(hall=township_hall, number="3", name="市场监管窗口")
    window.departments.add(dept_a)
    village = Department.objects.create(code="V01", name="东村村委会", region=county.village, kind="village")
    agent = UserFactory(username="agent_dong", department=village, full_name="代办员丙")
    PostAssignment.objects.create(user=agent, department=village, post=Post.AGENT, hall=village_hall)
    # The city department (上报件 go there).
    city = Department.objects.create(code="CITY-A", name="测试市市场监督管理局", region=county.county.parent)
    city_decider = UserFactory(username="city_decider", department=city, full_name="市局决定人")
    PostAssignment.objects.create(user=city_decider, department=city, post=Post.DECIDER)
    report = make_item(dept_a, "ITEM-DA-REPORT", handling=HandlingType.REPORT, statutory=20, promised=15,
                       name="上报测试事项",
                       steps=[("accept", "受理", Post.ACCEPTOR, 1), ("review1", "初审", Post.REVIEWER1, 3),
                              ("decide", "决定", Post.DECIDER, 5), ("notify", "办结告知", Post.NOTIFIER, 1)])
    ItemVersion.objects.filter(pk=report.pk).update(report_to=city)  # test setup: published rows are frozen
    report.refresh_from_db()
    joint = make_item(dept_a, "ITEM-DA-JOINT", handling=HandlingType.JOINT, statutory=20, promised=12,
                      name="并联测试事项",
                      steps=[("accept", "受理", Post.ACCEPTOR, 1), ("review1", "初审", Post.REVIEWER1, 3),
                             ("co_b", "住建部门意见", Post.REVIEWER1, 2), ("decide", "决定", Post.DECIDER, 2),
                             ("notify", "办结告知", Post.NOTIFIER, 1)])
    Step.objects.filter(version=joint, code__in=["review1", "co_b"]).update(parallel_group="p1")
    Step.objects.filter(version=joint, code="co_b").update(department=b.department)
    instant = make_item(dept_a, "ITEM-DA-INSTANT", handling=HandlingType.INSTANT, statutory=0, promised=0,
                        name="即办测试事项", steps=[("accept", "受理", Post.ACCEPTOR, 0)])
    return World(county, a, b, chief, substitute, agent, village_hall, township_hall, city, city_decider, report,
                 joint, instant)


def application(version, **extra) -> dict:
    data = {
        "item": str(version.item.pk),
        "applicant_type": "person",
        "applicant_name": "张三",
        "id_no": "330122199001011234",
        "phone": "13800000000",
        "channel": "window",
        "materials": [str(m.pk) for m in version.materials.all()],
    }
    data.update(extra)
    return data


class Desk:
    """Drive the workbench through Django's test client as a given user."""

    def __init__(self, client):
        self.client = client
        self.user = None

    def as_(self, user):
        self.user = user
        self.client.force_login(user)
        return self

    def relogin(self):
        """Sessions last 8 hours: after time travel, log in again."""
        if self.user is not None:
            self.client.force_login(self.user)

    def get(self, url, data=None, **kw):
        self.relogin()
        return self.client.get(url, data, **kw)

    def post(self, url, data=None, **kw):
        self.relogin()
        return self.client.post(url, data or {}, **kw)

    def register(self, version, **extra) -> Case:
        response = self.post("/staff/cases/register/", application(version, **extra))
        assert response.status_code == 302, response.content.decode()[:3000]
        case_no = response["Location"].rstrip("/").split("/")[-1]
        return Case.objects.get(case_no=case_no)

    def act(self, case, action, data=None, expect=302):
        response = self.post(f"/staff/cases/c/{case.case_no}/{action}/", data or {})
        assert response.status_code == expect, (response.status_code, response.content.decode()[:2000])
        return response

    def step(self, case, code, outcome="pass", opinion="同意"):
        return self.act(case, "step", {"step": code, "outcome": outcome, "opinion": opinion})

    def page(self, case):
        return self.get(CASE_URL.format(case.case_no))

    def messages(self, case) -> str:
        return self.page(case).content.decode()


@pytest.fixture
def desk(client):
    return Desk(client)


def events_of(case) -> list[str]:
    return list(case.events.order_by("seq").values_list("type", flat=True))


def fresh(case) -> Case:
    return Case.objects.get(pk=case.pk)


def linked(case) -> str:
    """The case's link as lists render it (flash messages may mention the case number too)."""
    return f'href="/staff/cases/c/{case.case_no}/"'
