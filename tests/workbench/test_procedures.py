"""Special procedures, extensions and deemed acceptance, through the workbench."""

import pytest
from django.utils import timezone

from tests.workbench.conftest import events_of, fresh, linked, sh
from xiaoneng.cases.models import CaseStep
from xiaoneng.cases.services import rederive_cases
from xiaoneng.org.models import Post
from xiaoneng.workbench.models import ExtensionRequest

pytestmark = pytest.mark.django_db


def accepted_case(world, desk, travel, when="2026-11-02T10:00:00"):
    travel.to(sh(when))  # Monday 2 Nov 2026: 10 working days → Mon 16 Nov close
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    case = fresh(case)
    assert timezone.localtime(case.promised_due) == sh("2026-11-16T17:30:00")
    return case


def test_special_procedure_with_overrun(world, desk, travel):
    case = accepted_case(world, desk, travel)
    reviewer = world.a.staff[Post.REVIEWER1]
    travel.to(sh("2026-11-03T10:00:00"))
    desk.as_(reviewer).act(case, "special-start", {"reason": "testing", "workdays": "2", "note": "送检"})
    case = fresh(case)
    assert case.status == "suspended" and case.clock_state == "suspended"
    assert case.events.get(type="suspended").payload == {"reason": "testing", "workdays": 2, "note": "送检"}
    # The procedure runs 4 working days instead of 2: only the requested 2 are excluded.
    travel.to(sh("2026-11-09T10:00:00"))
    page = desk.page(case).content.decode()
    assert "检测" in page and "结束特别程序" in page
    desk.act(case, "special-end", {"result": "检测合格"})
    case = fresh(case)
    assert case.status == "accepted"
    assert events_of(case)[-2:] == ["suspended", "resumed"]
    special = case.clock["specials"][0]
    assert special["overrun"] is True and special["requested_days"] == 2
    assert timezone.localtime(case.promised_due) == sh("2026-11-18T17:30:00")  # moved by 2 days, not 4
    assert "超期" in desk.page(case).content.decode()


def test_special_procedure_reason_must_be_a_listed_one(world, desk, travel):
    case = accepted_case(world, desk, travel)
    desk.as_(world.a.staff[Post.REVIEWER1]).act(case, "special-start", {"reason": "lunch", "workdays": "2"})
    assert fresh(case).status == "accepted"
    assert not case.events.filter(type="suspended").exists()


def test_extension_approved_by_a_leader(world, desk, travel):
    a = world.a
    case = accepted_case(world, desk, travel)
    travel.to(sh("2026-11-05T10:00:00"))
    desk.as_(a.staff[Post.REVIEWER1]).act(case, "extension", {"workdays": "5", "reason": "需现场核查"})
    request = ExtensionRequest.objects.get(case=case)
    assert request.status == "pending" and not case.events.filter(type="extended").exists()
    # A second request while one is pending is refused.
    desk.act(case, "extension", {"workdays": "3", "reason": "再次"})
    assert ExtensionRequest.objects.filter(case=case).count() == 1
    # Only a leader of the department may approve: others get a 404 on the request.
    desk.as_(a.staff[Post.DECIDER])
    assert desk.post(f"/staff/cases/extensions/{request.pk}/decide/", {"approve": "1"}).status_code == 404
    desk.as_(world.b.staff[Post.LEADER])
    assert desk.post(f"/staff/cases/extensions/{request.pk}/decide/", {"approve": "1"}).status_code == 404
    leader = a.staff[Post.LEADER]
    desk.as_(leader)
    inbox = desk.get("/staff/cases/").content.decode()
    assert "延期申请待审批" in inbox and linked(case) in inbox
    response = desk.post(f"/staff/cases/extensions/{request.pk}/decide/", {"approve": "1", "note": "同意"})
    assert response.status_code == 302
    case = fresh(case)
    event = case.events.get(type="extended")
    assert event.payload["workdays"] == 5 and event.payload["approver"] == leader.display_name
    assert event.actor_id == leader.username
    assert case.extended_days == 5
    assert timezone.localtime(case.promised_due) == sh("2026-11-23T17:30:00")  # +5 working days
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == leader
    # Extension is once only.
    desk.as_(a.staff[Post.REVIEWER1]).act(case, "extension", {"workdays": "2", "reason": "又一次"})
    assert ExtensionRequest.objects.filter(case=case).count() == 1


def test_extension_beyond_the_allowed_days_is_refused(world, desk, travel):
    case = accepted_case(world, desk, travel)
    desk.as_(world.a.staff[Post.REVIEWER1]).act(case, "extension", {"workdays": "11", "reason": "太长"})
    assert not ExtensionRequest.objects.filter(case=case).exists()


def test_deemed_acceptance_after_five_working_days(world, desk, travel):
    """An agent's submission not answered in 5 working days counts as accepted on the day of receipt."""
    a = world.a
    travel.to(sh("2026-11-02T15:00:00"))
    desk.as_(world.agent)
    response = desk.post("/staff/cases/agent/new/", {
        "item": a.version.item.pk, "applicant_type": "person", "applicant_name": "王五",
        "id_no": "330122198001011111", "phone": "13900000000",
        "materials": [m.pk for m in a.version.materials.all()]})
    assert response.status_code == 302
    case = world.agent.agent_cases.get()
    assert case.status == "submitted" and case.channel == "agent"
    desk.as_(a.staff[Post.ACCEPTOR])
    assert linked(case) in desk.get("/staff/cases/").content.decode()  # 待受理

    # Nobody answers; 5 working days later (+1 s) the sweep re-derives the case.
    travel.to(sh("2026-11-09T17:30:01"))
    rederive_cases([case.pk])
    case = fresh(case)
    assert case.status == "accepted" and case.clock["deemed_accepted"] is True
    assert case.accepted_at == case.submitted_at  # the day of receipt
    assert timezone.localtime(case.promised_due) == sh("2026-11-16T17:30:00")  # counted from 2 Nov
    page = desk.page(case).content.decode()
    assert "视为受理" in page
    # The clerk can no longer "accept" (it already counts as accepted); the 受理 step is overdue in the inbox.
    desk.act(case, "accept")
    assert not case.events.filter(type="accepted").exists()
    step = CaseStep.objects.get(case=case, code="accept")
    assert step.status == "active"
    inbox = desk.get("/staff/cases/").content.decode()
    assert linked(case) in inbox
    desk.step(case, "accept", opinion="材料齐全")
    assert CaseStep.objects.get(case=case, code="review1").status == "active"
    assert desk.get(f"/staff/cases/c/{case.case_no}/print/acceptance/").status_code == 200


def test_correction_during_review_pauses_the_clock(world, desk, travel):
    case = accepted_case(world, desk, travel)
    reviewer = world.a.staff[Post.REVIEWER1]
    travel.to(sh("2026-11-03T10:00:00"))
    desk.as_(reviewer).act(case, "correct", {"materials": "补充检测报告"})
    case = fresh(case)
    assert case.clock_state == "suspended"
    travel.to(sh("2026-11-05T10:00:00"))  # two working days later the materials arrive
    desk.act(case, "correction-done")
    case = fresh(case)
    assert events_of(case)[-2:] == ["correction_requested", "correction_completed"]
    assert timezone.localtime(case.promised_due) == sh("2026-11-18T17:30:00")  # moved by the 2 days
    # Still one notice per application: a second one is refused.
    desk.act(case, "correct", {"materials": "再补一份"})
    assert case.events.filter(type="correction_requested").count() == 1
