"""Window clerk: correction (一次性告知), rejection, withdrawal, fees, 即办件, printable notices."""

import pytest
from django.utils import timezone

from tests.workbench.conftest import events_of, fresh, sh
from xiaoneng.cases.models import Case
from xiaoneng.org.models import Post
from xiaoneng.workbench.models import CorrectionNotice, MaterialCheck, PrintedNotice

pytestmark = pytest.mark.django_db


def test_correction_then_acceptance_with_one_notice_only(world, desk, travel):
    a = world.a
    travel.to(sh("2026-11-02T09:00:00"))  # Monday
    first_material = a.version.materials.order_by("order").first()
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version, materials=[str(first_material.pk)])
    checks = {m.name: m.received for m in MaterialCheck.objects.filter(case=case)}
    assert checks == {"申请书": True, "身份证明": False}
    desk.act(case, "correct", {"materials": "身份证明（复印件）\n营业执照副本", "note": "请携带原件核对"})
    case = fresh(case)
    assert case.status == "correction"
    event = case.events.get(type="correction_requested")
    assert event.payload["materials"] == ["身份证明（复印件）", "营业执照副本"]
    notice = PrintedNotice.objects.get(case=case, kind="correction")
    printed = desk.get(f"/staff/cases/c/{case.case_no}/print/correction/")
    assert printed.status_code == 200
    body = printed.content.decode()
    assert "补正材料告知书" in body and "营业执照副本" in body and notice.number in body and "@page" not in body

    # A second notice on the same application is refused (一次性告知); nothing is recorded.
    response = desk.post(f"/staff/cases/c/{case.case_no}/correct/", {"materials": "另一份材料"}, follow=True)
    assert "一次性告知" in response.content.decode()
    assert case.events.filter(type="correction_requested").count() == 1
    assert "一次性告知" in desk.page(case).content.decode()

    travel.to(sh("2026-11-04T10:00:00"))
    desk.act(case, "correction-done")
    assert fresh(case).status == "submitted"
    assert CorrectionNotice.objects.get(case=case).completed_at is not None
    assert all(MaterialCheck.objects.filter(case=case).values_list("received", flat=True))
    desk.act(case, "accept")
    case = fresh(case)
    assert case.status == "accepted"
    assert events_of(case) == ["submitted", "correction_requested", "correction_completed", "accepted",
                               "step_completed"]
    # The clock starts the day after acceptance (4 Nov): 10 working days → 18 Nov close.
    assert timezone.localtime(case.promised_due) == sh("2026-11-18T17:30:00")


def test_rejection_needs_a_reason_and_prints_a_decision(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    response = desk.post(f"/staff/cases/c/{case.case_no}/reject/", {"reject-reason": ""}, follow=True)
    assert fresh(case).status == "submitted"
    desk.act(case, "reject", {"reject-reason": "申请事项不属于本机关职权范围"})
    case = fresh(case)
    assert case.status == "rejected"
    assert case.events.get(type="rejected").payload["reason"] == "申请事项不属于本机关职权范围"
    body = desk.get(f"/staff/cases/c/{case.case_no}/print/rejection/").content.decode()
    assert "不予受理决定书" in body and "不属于本机关职权范围" in body and "行政复议" in body
    assert response.status_code == 200


def test_withdrawal_on_the_applicants_request(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    desk.as_(a.staff[Post.REVIEWER1]).act(case, "withdraw", {"withdraw-reason": "x"})
    assert fresh(case).status == "accepted"  # only the window records a withdrawal
    desk.as_(a.staff[Post.ACCEPTOR]).act(case, "withdraw", {"withdraw-reason": "申请人书面申请撤回"})
    case = fresh(case)
    assert case.status == "withdrawn" and case.clock_state == "done"
    assert case.events.get(type="withdrawn").payload == {"reason": "申请人书面申请撤回"}
    assert events_of(case)[-1] == "withdrawn"
    # A closed case offers no more actions and refuses them.
    desk.act(case, "withdraw", {"withdraw-reason": "再次撤回"})
    assert case.events.filter(type="withdrawn").count() == 1


def test_fee_only_from_the_published_list(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    response = desk.post(f"/staff/cases/c/{case.case_no}/fee/", {"fee_code": "F99"}, follow=True)
    assert "不在本事项公示的收费目录" in response.content.decode()
    assert not case.events.filter(type="fee_charged").exists()
    desk.act(case, "fee", {"fee_code": "F01", "amount": "999.00"})  # the amount always comes from the list
    assert case.events.get(type="fee_charged").payload == {"fee_code": "F01", "amount": "10.00"}


def test_instant_item_in_one_screen(world, desk):
    clerk = world.chief_rep  # the chief representative holds the delegated window posts
    desk.as_(clerk)
    form = desk.get("/staff/cases/instant/")
    assert form.status_code == 200 and "即办测试事项" in form.content.decode()
    data = {
        "item": str(world.instant_version.item.pk), "applicant_type": "organisation",
        "applicant_name": "某某科技有限公司", "id_no": "91330122MA2XXXXX1X", "phone": "",
        "materials": [str(m.pk) for m in world.instant_version.materials.all()],
        "document_no": "即〔2026〕1号", "method": "window", "fees": ["F01"],
    }
    response = desk.post("/staff/cases/instant/", data)
    assert response.status_code == 302
    case_no = response["Location"].rstrip("/").split("/")[-1]
    case = Case.objects.get(case_no=case_no)
    assert case.status == "delivered" and case.result == "approved" and case.document_no == "即〔2026〕1号"
    assert events_of(case) == ["submitted", "accepted", "step_completed", "fee_charged", "decided", "delivered"]
    assert case.hall == world.county.hall
    assert case.promised_due == case.statutory_due  # limit 0: due at the close of the acceptance day


def test_acceptance_notice_shows_query_code(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    assert desk.get(f"/staff/cases/c/{case.case_no}/print/acceptance/").status_code == 404  # not yet
    desk.act(case, "accept")
    case = fresh(case)
    body = desk.get(f"/staff/cases/c/{case.case_no}/print/acceptance/").content.decode()
    assert "受理通知书" in body and case.query_code in body and case.case_no in body
    assert "330122199001011234" in body  # the handling department prints the full ID number
    assert "print.css" in body


def test_register_page_and_materials_partial(world, desk):
    a = world.a
    desk.as_(a.staff[Post.ACCEPTOR])
    page = desk.get("/staff/cases/register/")
    assert page.status_code == 200
    html = page.content.decode()
    assert a.version.item.name in html and world.b.version.item.name not in html  # own department only
    partial = desk.get("/staff/cases/register/materials/", {"item": a.version.item.pk, "mode": "register"},
                              headers={"HX-Request": "true"})
    assert "申请书" in partial.content.decode() and "<html" not in partial.content.decode()
    # Another department's item cannot be registered by this clerk.
    response = desk.post("/staff/cases/register/", {
        "item": world.b.version.item.pk, "applicant_type": "person", "applicant_name": "李四", "id_no": "1",
        "channel": "window"})
    assert response.status_code == 200 and "item" in response.context["form"].errors
