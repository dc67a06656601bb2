"""Helpers for the case-engine tests: event builders on top of the shared ``county`` fixture."""

from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases.services import NewEvent

SH = ZoneInfo("Asia/Shanghai")
_ids = count(1)


def at(y, m, d, hh=9, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def ev(case_no, type_, when, *, item=None, dept=None, system="", event_id=None, actor="张三", payload=None,
       **kw) -> NewEvent:
    return NewEvent(
        case_no=case_no, type=type_, occurred_at=when, event_id=event_id or f"e{next(_ids)}",
        source_system=system, item_code=item or "", department_code=dept or "", actor_id=actor and "u1",
        actor_name=actor or "", payload=payload or {}, **kw,
    )


def submitted(case_no, when, county, *, system="", event_id=None, id_no="330122199001011234", **kw):
    return ev(case_no, "submitted", when, item=county.a.version.item.code, dept="DA", system=system,
              event_id=event_id, actor="",
              payload={"applicant": {"type": "person", "name": "李四", "id_no": id_no}, "channel": "window"}, **kw)


@pytest.fixture
def item_a(county):
    return county.a.version.item


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The county fixture creates ~17 users; argon2 hashing dominates these tests' run time otherwise.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
