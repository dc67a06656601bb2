"""并联审批 with 超时默认, 上报件, the village agent round trip and A/B substitution."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workbench.conftest import events_of, fresh, linked, sh
from xiaoneng.cases.models import CaseStep
from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.workbench.models import AgentRoute, DeemedConsent, Forwarding
from xiaoneng.workbench.services import deemed_consent

pytestmark = pytest.mark.django_db


def test_joint_approval_with_deemed_consent(world, desk, travel):
    a, b = world.a, world.b
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(world.joint_version)
    desk.act(case, "accept")
    steps = {s.code: s for s in CaseStep.objects.filter(case=case)}
    assert steps["review1"].status == "active" and steps["co_b"].status == "active"
    assert steps["co_b"].department_id == b.department.pk
    co_due = steps["co_b"].due
    assert timezone.localtime(co_due) == sh("2026-11-04T10:00:00")  # its own limit: 2 working days

    # The co-department's reviewer sees its own step (and may open the case), not A's other cases.
    desk.as_(b.staff[Post.REVIEWER1])
    inbox = desk.get("/staff/cases/").content.decode()
    assert linked(case) in inbox and "住建部门意见" in inbox
    assert desk.page(case).status_code == 200
    other = None
    # A's own reviewer passes its parallel step; B stays silent.
    travel.to(sh("2026-11-03T09:00:00"))
    desk.as_(a.staff[Post.REVIEWER1]).step(case, "review1", opinion="同意")
    assert CaseStep.objects.get(case=case, code="decide").status == "waiting"

    # Before the due nothing is deemed; after it the job records 超时默认同意 once.
    assert deemed_consent(at=sh("2026-11-04T09:00:00")) == 0
    travel.to(sh("2026-11-04T11:00:00"))
    assert deemed_consent() == 1
    assert deemed_consent() == 0  # idempotent
    case = fresh(case)
    event = case.events.filter(type="step_completed").order_by("-seq").first()
    assert event.actor_id == "system"
    assert event.payload == {"step": "co_b", "outcome": "pass", "opinion": "超时默认同意", "by_default": True}
    assert event.occurred_at == co_due + timedelta(seconds=1)
    steps = {s.code: s for s in CaseStep.objects.filter(case=case)}
    assert steps["co_b"].status == "by_default"
    assert steps["decide"].status == "active"
    assert DeemedConsent.objects.filter(case=case, step_code="co_b").count() == 1
    assert "超时默认同意" in desk.page(case).content.decode()
    # B's step is gone from B's inbox; the decider goes on.
    desk.as_(b.staff[Post.REVIEWER1])
    assert linked(case) not in desk.get("/staff/cases/").content.decode()
    desk.as_(a.staff[Post.DECIDER]).act(case, "decide", {"result": "approved", "document_no": "并〔2026〕1号"})
    assert fresh(case).status == "decided"
    assert other is None


def test_joint_co_department_answers_in_time(world, desk, travel):
    a, b = world.a, world.b
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(world.joint_version)
    desk.act(case, "accept")
    desk.as_(b.staff[Post.REVIEWER1]).act(case, "claim", {"step": "co_b"})
    desk.act(case, "correct", {"materials": "补充规划图"})  # the lead department issues correction notices
    assert not case.events.filter(type="correction_requested").exists()
    desk.step(case, "co_b", opinion="符合规划要求")
    step = CaseStep.objects.get(case=case, code="co_b")
    assert step.status == "done" and step.outcome == "pass"
    event = case.events.filter(type="step_completed").order_by("-seq").first()
    assert event.actor_id == b.staff[Post.REVIEWER1].username and event.payload["opinion"] == "符合规划要求"
    # B may not act on A's own parallel step.
    desk.step(case, "review1")
    assert CaseStep.objects.get(case=case, code="review1").status == "active"
    desk.as_(a.staff[Post.REVIEWER1]).step(case, "review1")
    assert CaseStep.objects.get(case=case, code="decide").status == "active"
    travel.to(sh("2026-11-10T10:00:00"))
    assert deemed_consent() == 0  # everyone answered in time


def test_report_case_forwarded_to_the_higher_department(world, desk, travel):
    a = world.a
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(world.report_version)
    desk.act(case, "accept")
    desk.as_(a.staff[Post.REVIEWER1])
    assert "上报" in desk.page(case).content.decode()
    desk.act(case, "forward", {"opinion": "初审同意，报市局审批"})
    case = fresh(case)
    forwarded = case.events.get(type="forwarded")
    assert forwarded.payload == {"to_department": "CITY-A", "opinion": "初审同意，报市局审批"}
    assert events_of(case)[-2:] == ["step_completed", "forwarded"]
    assert Forwarding.objects.get(case=case).to_department == world.city_department
    # The county decider may not decide a forwarded case.
    desk.as_(a.staff[Post.DECIDER]).act(case, "decide", {"result": "approved", "document_no": "X"})
    assert fresh(case).status == "accepted"
    assert "由上级部门作出决定" in desk.page(case).content.decode()
    # The city decider sees it in the inbox (上报件待决定) and decides.
    desk.as_(world.city_decider)
    inbox = desk.get("/staff/cases/").content.decode()
    assert "上报件待决定" in inbox and linked(case) in inbox
    desk.act(case, "decide", {"result": "denied", "reason": "不符合准入条件", "document_no": "市监〔2026〕9号"})
    case = fresh(case)
    assert case.status == "decided" and case.result == "denied"
    assert case.events.get(type="decided").actor_id == "city_decider"
    assert Forwarding.objects.get(case=case).decided_at is not None
    # The county notifier delivers the higher body's decision.
    desk.as_(a.staff[Post.NOTIFIER]).act(case, "deliver", {"method": "mail"})
    assert fresh(case).status == "delivered"
    # The city department sees only the forwarded case of department A.
    own = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.as_(world.city_decider)
    assert desk.page(own).status_code == 404


def test_village_agent_round_trip(world, desk, travel):
    a, b = world.a, world.b
    travel.to(sh("2026-11-02T10:00:00"))
    desk.as_(world.agent)
    assert desk.get("/staff/cases/agent/new/").status_code == 200
    response = desk.post("/staff/cases/agent/new/", {
        "item": a.version.item.pk, "applicant_type": "person", "applicant_name": "赵六",
        "id_no": "330122197001011234", "phone": "13700000000", "note": "行动不便",
        "materials": [m.pk for m in a.version.materials.all()]})
    assert response.status_code == 302
    case = world.agent.agent_cases.get()
    route = AgentRoute.objects.get(case=case)
    # Department A has a window in the township hall: the case goes there, not to the county.
    assert route.from_hall == world.village_hall and route.to_hall == world.township_hall
    assert case.hall == world.township_hall and case.channel == "agent" and case.agent == world.agent
    assert case.events.get(type="submitted").payload["channel"] == "agent"
    listing = desk.get("/staff/cases/agent/").content.decode()
    assert linked(case) in listing and "传送" in listing and world.township_hall.name in listing

    # The township window (A's acceptor) accepts it; reviewers and decider finish it.
    desk.as_(a.staff[Post.ACCEPTOR]).act(case, "accept")
    desk.as_(world.agent)
    assert "已受理" in desk.get("/staff/cases/agent/").content.decode()
    desk.as_(a.staff[Post.REVIEWER1]).step(case, "review1")
    desk.as_(a.staff[Post.REVIEWER2]).step(case, "review2")
    desk.as_(a.staff[Post.DECIDER]).act(case, "decide", {"result": "approved", "document_no": "代〔2026〕3号"})
    desk.as_(world.agent)
    listing = desk.get("/staff/cases/agent/").content.decode()
    assert "回复" in listing and "准予" in listing and "代〔2026〕3号" in listing
    # The agent may read the case (read-only) and print the acceptance notice (ID number masked).
    page = desk.page(case)
    assert page.status_code == 200 and "只读" in page.content.decode()
    printed = desk.get(f"/staff/cases/c/{case.case_no}/print/acceptance/").content.decode()
    assert "3301**********1234" in printed and "330122197001011234" not in printed
    desk.act(case, "deliver", {"method": "window"}, expect=404)

    # An item of department B (no township window) is routed to the county hall.
    desk.post("/staff/cases/agent/new/", {
        "item": b.version.item.pk, "applicant_type": "person", "applicant_name": "钱七",
        "id_no": "330122197001012222", "phone": "", "materials": []})
    second = world.agent.agent_cases.exclude(pk=case.pk).get()
    assert AgentRoute.objects.get(case=second).to_hall == world.county.hall


def test_ab_substitution(world, desk, travel):
    a = world.a
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    holder = a.staff[Post.REVIEWER1]
    # Not away yet: the substitute sees nothing.
    desk.as_(world.substitute)
    assert linked(case) not in desk.get("/staff/cases/").content.decode()
    assert desk.page(case).status_code == 404
    PostAssignment.objects.filter(user=holder, post=Post.REVIEWER1).update(
        away_from=sh("2026-11-01T00:00:00"), away_until=sh("2026-11-06T00:00:00"))
    inbox = desk.get("/staff/cases/").content.decode()
    assert linked(case) in inbox
    desk.act(case, "claim", {"step": "review1"})
    desk.step(case, "review1", opinion="B岗代办：同意")
    event = fresh(case).events.filter(type="step_completed", payload__step="review1").get()
    assert event.actor_id == world.substitute.username and event.acting_for == holder.username
    assert f"代 {holder.username}" in desk.page(case).content.decode()
    # The away holder does not act meanwhile.
    assert (a.department.pk, Post.REVIEWER1) not in __import__(
        "xiaoneng.org.scoping", fromlist=["acting_posts"]).acting_posts(holder)
    # Back in office: the substitute loses access.
    travel.to(sh("2026-11-06T09:00:00"))
    assert desk.page(case).status_code == 404
