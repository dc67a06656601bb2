"""Builders for evaluation tests: cases, events, alerts and feedback rows written directly (no write path)."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.feedback.models import Complaint, Rating
from xiaoneng.supervision.models import Alert

TZ = ZoneInfo("Asia/Shanghai")
SPD = 7 * 3600  # default office hours 08:30-12:00, 14:00-17:30
_seq = itertools.count(1)


def at(day: int, hour: int = 10, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TZ)


def make_case(dept_fx, *, decided: datetime | None = None, elapsed_days: float = 1, late: bool = False,
              channel: str = "window", submitted: datetime | None = None, version=None) -> Case:
    n = next(_seq)
    version = version or dept_fx.version
    decided_at = decided
    submitted = submitted or (decided_at - timedelta(days=20) if decided_at else at(5))
    promised_due = (decided_at - timedelta(hours=1) if late else decided_at + timedelta(days=3)) if decided_at else None
    return Case.objects.create(
        case_no=f"EV{n:06d}", region_code="330122000000", department=dept_fx.department, item=version.item,
        item_version=version, channel=channel, status="decided" if decided_at else "accepted",
        submitted_at=submitted, accepted_at=submitted, decided_at=decided_at,
        elapsed_seconds=int(elapsed_days * SPD), promised_due=promised_due,
        statutory_due=promised_due + timedelta(days=20) if promised_due else None)


def make_event(case: Case, occurred: datetime, received: datetime, backfilled: bool = False) -> CaseEvent:
    seq = CaseEvent.objects.filter(case=case).count() + 1
    return CaseEvent.objects.create(case=case, region_code=case.region_code, department_id=case.department_id,
                                    seq=seq, event_id=f"e{next(_seq)}", type="step_completed",
                                    occurred_at=occurred, received_at=received, hash=f"h{seq}",
                                    backfilled=backfilled)


def make_alert(dept_fx, rule: str, level: str, *, case: Case | None = None, status: str = "issued",
               due: datetime | None = None) -> Alert:
    n = next(_seq)
    due = due or at(15)
    return Alert.objects.create(
        subject_type="case", subject_id=case.pk if case else 10_000_000 + n, subject_no=case.case_no if case else "",
        case=case, department=dept_fx.department, region_code="330122000000", step=f"s{n}", rule=rule, level=level,
        due_at=due, raised_at=due, status=status, status_changed_at=due)


def make_complaint(about, handler, *, ctype: str = "attitude", result: str = "substantiated",
                   received: datetime | None = None) -> Complaint:
    n = next(_seq)
    return Complaint.objects.create(
        receipt_no=f"TS{n:06d}", type=ctype, target="department", target_department=about.department,
        description="投诉内容", phone_cipher="x", phone_last4="1234", department=handler.department,
        received_at=received or at(10), status="resolved", result=result)


def make_rating(case: Case, *, level: int = 1, rectified_late: bool | None = True, removed: bool = False,
                rated: datetime | None = None) -> Rating:
    n = next(_seq)
    rated = rated or at(12)
    due = rated + timedelta(days=7)
    rectified = None if rectified_late is None else (due + timedelta(days=1) if rectified_late else due - timedelta(days=1))
    return Rating.objects.create(
        receipt_no=f"PJ{n:06d}", case=case, department=case.department, channel="window", level=level,
        is_bad=level <= 2, rated_at=rated, stage="done", rectify_due=due, rectified_at=rectified, removed=removed)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """argon2 costs about a second per user on a loaded machine; the shared county fixture creates ~20 users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Built:
    county: object
    cases: dict
    alerts: dict
    complaints: dict
    ratings: dict


@pytest.fixture
def scored_county(county):
    """The fixture county of the hand-computed scores (see test_services.py for the arithmetic)."""
    a = county.a
    cases = {}
    # 10 completions in October: 3 early (2 of 10 promised days), 6 on time (9.5 days), 1 late (12 days)
    cases["early"] = [make_case(a, decided=at(20), elapsed_days=2) for _ in range(3)]
    cases["on_time"] = [make_case(a, decided=at(21), elapsed_days=9.5) for _ in range(6)]
    cases["late"] = [make_case(a, decided=at(22), elapsed_days=12, late=True)]
    # an online submission in October, still open
    cases["open"] = [make_case(a, submitted=at(8), channel="online")]
    # 40 events received in October, 3 of them more than 24 h after they occurred
    first = cases["early"][0]
    for i in range(37):
        make_event(first, at(1 + i % 28, 9), at(1 + i % 28, 10))
    for i in range(3):
        make_event(first, at(3 + i, 9), at(5 + i, 10))
    alerts = {
        "warnings": [make_alert(a, "case_limit", "warning", case=cases["on_time"][i]) for i in range(4)],
        "yellow": make_alert(a, "case_limit", "yellow", case=cases["late"][0]),
        "revoked_red": make_alert(a, "case_limit", "red", case=cases["late"][0], status="revoked"),
        "pending": make_alert(a, "step_limit", "yellow", case=cases["late"][0], status="pending"),
        "september": make_alert(a, "case_limit", "red", case=cases["on_time"][0], due=at(28, month=9)),
        "procedure": make_alert(a, "procedure_violation", "red", case=cases["early"][1], status="appeal_rejected"),
        "no_reason": make_alert(a, "no_reason", "yellow", case=cases["early"][2]),
    }
    complaints = {
        "attitude": make_complaint(a, a, ctype="attitude", result="substantiated"),
        "extortion": make_complaint(a, county.b, ctype="extortion", result="partly"),
        "unfounded": make_complaint(a, a, ctype="attitude", result="unsubstantiated"),
    }
    ratings = {
        "late": make_rating(cases["on_time"][0], rectified_late=True),
        "in_time": make_rating(cases["on_time"][1], rectified_late=False),
        "removed": make_rating(cases["on_time"][2], rectified_late=True, removed=True),
        "good": make_rating(cases["on_time"][3], level=5, rectified_late=None),
    }
    return Built(county, cases, alerts, complaints, ratings)


@pytest.fixture
def as_of():
    return datetime(2026, 11, 10, 12, tzinfo=TZ)


@pytest.fixture
def now():
    return timezone.now()
