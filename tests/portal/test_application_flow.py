"""The online application end to end: draft → submit (channel online) → correction notice → upload of the
missing material → accepted → steps → decided → delivered, seen by the applicant and by the progress query."""

import pytest
from django.test import Client

from tests.portal.conftest import PDF, PNG, upload
from xiaoneng.cases.models import Case, CaseEvent, CaseStatus
from xiaoneng.portal.models import Application, ApplicationFile, ApplicationStatus


def _form(item, action, **files):
    data = {"applicant_type": "person", "applicant_name": "张三", "id_no": "11010519491231002X",
            "contact_name": "张三", "contact_phone": "13800000001", "address": "城关镇东村1号",
            "description": "申请食品经营许可", "action": action}
    data.update(files)
    return data


def _materials(item):
    return list(item.current_version.materials.order_by("order"))


def _query(client, case, code=None):
    """The public progress query, as an anonymous visitor."""
    return Client().post("/query/", {"case_no": case.case_no, "code": code or case.query_code})


def test_online_application_end_to_end(client, county, applicant, item, clerk, settings):
    m1, m2 = _materials(item)
    client.force_login(applicant)
    # Save a draft with one material; submitting without the other required one is refused.
    r = client.post(f"/apply/{item.code}/", _form(item, "save", **{f"m_{m1.pk}": [upload("申请书.pdf")]}))
    assert r.status_code == 302
    app = Application.objects.get()
    assert r["Location"] == f"/apply/d/{app.token}/" and app.status == ApplicationStatus.DRAFT
    assert client.get(f"/apply/{item.code}/")["Location"] == f"/apply/d/{app.token}/"  # resumes the draft
    r = client.post(f"/apply/d/{app.token}/", _form(item, "submit"))
    assert r.status_code == 400 and "身份证明" in r.content.decode()
    assert not Case.objects.exists()

    r = client.post(f"/apply/d/{app.token}/", _form(item, "submit", **{f"m_{m2.pk}": [upload("id.png", PNG)]}))
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/my/{case.case_no}/"
    assert case.status == CaseStatus.SUBMITTED and case.channel == "online"
    assert case.applicant_user == applicant and case.applicant_name == "张三"
    assert case.applicant_id_masked == "1101**********002X" and case.query_code
    assert case.department == county.a.department and case.submitted_at is not None
    assert case.deadlines and any(d["rule"] == "pre_acceptance" for d in case.deadlines)  # the clock runs
    event = CaseEvent.objects.get(case=case)
    assert event.type == "submitted" and event.payload["channel"] == "online"
    assert "11010519491231002X" not in str(event.payload)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.case == case

    # The clerk's inbox (the workbench, /staff/cases/) lists it under 待受理.
    staff = Client()
    staff.force_login(county.a.staff["acceptor"])
    assert case.case_no in staff.get("/staff/cases/").content.decode()
    staff.force_login(county.b.staff["acceptor"])
    assert case.case_no not in staff.get("/staff/cases/").content.decode()
    page = _query(client, case).content.decode()
    assert "已申报" in page

    # One complete correction notice.
    case = clerk.act(case, "correction_requested", materials=["营业场所平面图", "身份证明（清晰）"])
    assert case.status == CaseStatus.CORRECTION
    body = client.get(f"/my/{case.case_no}/").content.decode()
    assert "补正告知" in body and "营业场所平面图" in body and "身份证明（清晰）" in body
    assert "补正中" in _query(client, case).content.decode()

    # Completing before every listed material is uploaded is refused.
    r = client.post(f"/my/{case.case_no}/", {"action": "complete", "c_0": [upload("plan.pdf")]})
    assert r.status_code == 400 and "身份证明（清晰）" in r.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION
    r = client.post(f"/my/{case.case_no}/", {"action": "complete", "c_1": [upload("id2.pdf", PDF)]})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case, type="correction_completed").count() == 1
    assert ApplicationFile.objects.filter(purpose="correction").count() == 2

    # Accepted, handled step by step, decided, delivered.
    case = clerk.act(case, "accepted")
    case = clerk.act(case, "step_completed", step="accept", outcome="pass")
    assert case.status == CaseStatus.ACCEPTED
    body = client.get(f"/my/{case.case_no}/").content.decode()
    assert case.query_code in body and "办理中" in body
    page = _query(client, case).content.decode()
    assert "办理中" in page and "受理" in page and "承诺办结时间" in page and "按时" in page
    case = clerk.steps_through(case, ("review1", "review2", "decide"))
    case = clerk.act(case, "decided", "decider", result="approved", document_no="食许〔2026〕1号")
    assert case.status == CaseStatus.DECIDED
    body = client.get(f"/my/{case.case_no}/").content.decode()
    assert "准予许可" in body and "食许〔2026〕1号" in body
    assert "已办结" in _query(client, case).content.decode()
    case = clerk.act(case, "delivered", "notifier", method="mail")
    body = client.get(f"/my/{case.case_no}/").content.decode()
    assert "已送达" in body and "邮寄" in body
    page = _query(client, case).content.decode()
    assert "已送达" in page
    for secret in ("张三", "1101", "13800000001", "城关镇东村"):
        assert secret not in page  # the public query never shows personal data
    assert case.case_no in client.get("/my/").content.decode()


def test_rejection_is_shown_with_its_reason(client, county, applicant, item, clerk):
    m1, m2 = _materials(item)
    client.force_login(applicant)
    client.post(f"/apply/{item.code}/", _form(item, "submit", **{f"m_{m1.pk}": [upload("a.pdf")],
                                                                  f"m_{m2.pk}": [upload("b.pdf")]}))
    case = Case.objects.get()
    clerk.act(case, "rejected", reason="不属于本部门职权范围")
    body = client.get(f"/my/{case.case_no}/").content.decode()
    assert "不予受理" in body and "不属于本部门职权范围" in body


def test_village_agent_applies_on_a_villagers_behalf(client, county, agent_user, item):
    m1, m2 = _materials(item)
    client.force_login(agent_user)
    data = _form(item, "submit", **{f"m_{m1.pk}": [upload("a.pdf")], f"m_{m2.pk}": [upload("b.pdf")]})
    data["applicant_name"] = "赵村民"
    r = client.post(f"/apply/{item.code}/", data)
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.channel == "agent" and case.agent == agent_user and case.applicant_user is None
    assert case.applicant_name == "赵村民"
    assert client.get(f"/my/{case.case_no}/").status_code == 200


def test_staff_without_agent_post_cannot_apply(client, county, item):
    client.force_login(county.a.staff["acceptor"])
    assert client.get(f"/apply/{item.code}/").status_code == 403


def test_apply_requires_login_and_an_online_item(client, county, applicant, item):
    r = client.get(f"/apply/{item.code}/")
    assert r.status_code == 302 and "/account/login/" in r["Location"]
    client.force_login(applicant)
    assert client.get("/apply/NOPE/").status_code == 404


@pytest.mark.parametrize("status", ["accepted"])
def test_correction_during_review_resumes_the_case(client, county, applicant, item, clerk, status):
    m1, m2 = _materials(item)
    client.force_login(applicant)
    client.post(f"/apply/{item.code}/", _form(item, "submit", **{f"m_{m1.pk}": [upload("a.pdf")],
                                                                  f"m_{m2.pk}": [upload("b.pdf")]}))
    case = clerk.act(Case.objects.get(), "accepted")
    case = clerk.act(case, "correction_requested", materials=["补充说明"])
    assert "补充说明" in client.get(f"/my/{case.case_no}/").content.decode()
    r = client.post(f"/my/{case.case_no}/", {"action": "complete", "c_0": [upload("note.pdf")]})
    assert r.status_code == 302
    assert CaseEvent.objects.filter(case=case, type="correction_completed").exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
