"""Helpers for supervision tests: cases built through the case engine's single write path."""

from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
_ids = count(1)


def at(y, m, d, hh=9, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def ev(case_no, type_, when, *, county=None, dept="DA", actor="张三", actor_id="u1", payload=None, system="",
       **kw):
    from xiaoneng.cases.services import NewEvent

    item = ""
    if type_ == "submitted" and county is not None:
        item = (county.a if dept == "DA" else county.b).version.item.code
    if type_ == "submitted" and payload is None:
        payload = {"applicant": {"type": "person", "name": "李四", "id_no": "330122199001011234"},
                   "channel": "window"}
    return NewEvent(case_no=case_no, type=type_, occurred_at=when, event_id=f"s{next(_ids)}",
                    source_system=system, item_code=item, department_code=dept if item else "",
                    actor_id=actor_id if type_ != "submitted" else "", actor_name=actor if type_ != "submitted" else "",
                    payload=payload or {}, **kw)


def record(events, received_at=None, **kw):
    from xiaoneng.cases.services import record_events

    results = record_events(events, received_at=received_at, **kw)
    bad = [r for r in results if r.status == "rejected"]
    assert not bad, bad
    return results


def accepted_case(county, case_no, when, *, dept="DA", received_at=None):
    """A case submitted and accepted at ``when`` (recorded in real time at ``received_at`` or ``when``)."""
    from xiaoneng.cases.models import Case

    record([ev(case_no, "submitted", when, county=county, dept=dept),
            ev(case_no, "accepted", when + timedelta(minutes=1), dept=dept)],
           received_at=received_at or when + timedelta(minutes=2))
    return Case.objects.get(case_no=case_no)


@pytest.fixture
def sup(county):
    return county.supervisor


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """argon2 is slow by design; these tests never check passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    """Rule settings are cached per process; every test starts from the database."""
    from xiaoneng.supervision import config

    config.invalidate()
    yield
    config.invalidate()
