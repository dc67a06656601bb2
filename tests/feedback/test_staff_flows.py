"""Staff handling with explicit `now` values across the 2026 National Day holiday; scoping; statistics."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse

from xiaoneng.feedback import selectors, services
from xiaoneng.feedback.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintType,
    Consultation,
    FeedbackTransition,
    Rating,
)
from xiaoneng.org.models import Post

from .conftest import at

S = timedelta(seconds=1)


def levels(obj, step=None):
    return {d["level"] for d in obj.deadlines if step is None or d["step"] == step}


def new_complaint(world, now, **kw):
    fields = {"type": ComplaintType.ATTITUDE, "target": "department", "description": "态度差",
              "phone": "13900139000", "target_department": world.county.a.department, **kw}
    return services.submit_complaint(now=now, **fields)


# --- consultations --------------------------------------------------------------------------------------------------


def test_consultation_reply_across_holiday_and_public_qa(client, world):
    a = world.county.a
    c = services.submit_consultation(department=a.department, question="节后什么时候上班？", asker_name="李四",
                                     phone="13800138000", publish_consent=True, now=at(2026, 9, 30, 9))
    assert c.reply_due == at(2026, 10, 10, 17, 30)  # 8, 9 and (调休) Sat 10 Oct
    assert c.next_check_at == at(2026, 10, 9, 8, 30)  # warning: two working days before the due
    # Yellow one working day overdue (+1 s): Mon 12 Oct 17:30:01. Reply one second before → warning only.
    replied = services.reply_consultation(c, user=a.staff[Post.ACCEPTOR], reply="10月8日起正常上班。",
                                          publish=True, now=at(2026, 10, 12, 17, 30))
    assert levels(replied) == {"warning"} and replied.clock_state == "done"
    assert replied.next_check_at == at(2026, 10, 12, 17, 30)  # passed card still to raise → checked now
    html = client.get(reverse("feedback_public:qa")).content.decode()
    assert "节后什么时候上班" in html and "李四" not in html and "13800138000" not in html


def test_consultation_late_reply_keeps_yellow(world):
    a = world.county.a
    c = services.submit_consultation(department=a.department, question="q", asker_name="n", phone="13800138000",
                                     now=at(2026, 9, 30, 9))
    c = services.reply_consultation(c, user=a.staff[Post.LEADER], reply="r", now=at(2026, 10, 12, 17, 30, 1))
    assert levels(c) == {"warning", "yellow"}


def test_consultation_publish_needs_consent(world):
    a = world.county.a
    c = services.submit_consultation(department=a.department, question="q", asker_name="n", phone="13800138000")
    with pytest.raises(services.FeedbackError):
        services.reply_consultation(c, user=a.staff[Post.ACCEPTOR], reply="r", publish=True)
    assert Consultation.objects.get().status == "received"


def test_consultation_reply_permissions(client, world):
    a, b = world.county.a, world.county.b
    c = services.submit_consultation(department=a.department, question="q", asker_name="n", phone="13800138000")
    url = reverse("feedback:consultation", args=[c.pk])
    client.force_login(a.staff[Post.REVIEWER1])  # reads (same department) but has no reply post
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "reply", "reply": "x"}).status_code == 403
    client.force_login(b.staff[Post.LEADER])
    assert client.get(url).status_code == 404
    client.force_login(a.staff[Post.ACCEPTOR])
    assert client.post(url, {"action": "reply", "reply": "答复内容"}).status_code == 302
    assert Consultation.objects.get().reply == "答复内容"


# --- complaints -----------------------------------------------------------------------------------------------------


def test_complaint_deadlines_across_holiday(world):
    c = new_complaint(world, at(2026, 9, 29, 10))  # Tue
    assert c.accept_due == at(2026, 10, 12, 17, 30)  # 30 Sep, 8, 9, 10 (调休), 12 Oct
    yellow = at(2026, 10, 13, 17, 30) + S
    services.refresh(c, now=yellow - S)
    assert c.clock_state == "warning"
    services.refresh(c, now=yellow)
    assert c.clock_state == "yellow"
    leader = world.county.a.staff[Post.LEADER]
    c = services.accept_complaint(c, user=leader, now=at(2026, 10, 14, 10))  # late, before red (14 Oct 17:30:01)
    assert levels(c, "accept") == {"warning", "yellow"}
    assert c.resolve_due == at(2026, 11, 4, 17, 30)  # 15 working days after 14 Oct
    assert levels(c, "resolve") == {"warning", "yellow", "red"}
    assert c.next_check_at == at(2026, 11, 3, 8, 30)  # resolve warning: two working days before 4 Nov 17:30
    c = services.resolve_complaint(c, user=leader, result="partly", reply="已批评教育", now=at(2026, 10, 20, 9))
    assert c.status == "resolved" and levels(c, "resolve") == set() and levels(c, "accept") == {"warning", "yellow"}
    actions = list(FeedbackTransition.objects.filter(subject_type="complaint", subject_id=c.pk)
                   .values_list("action", flat=True))
    assert actions == ["submit", "accept", "resolve"]


def test_decline_closes_and_keeps_passed(world):
    c = new_complaint(world, at(2026, 11, 2, 9))
    c = services.decline_complaint(c, user=world.county.a.staff[Post.LEADER], reason="不属于受理范围",
                                   now=at(2026, 11, 3, 9))
    assert c.status == "declined" and c.deadlines == [] and c.next_check_at is None
    with pytest.raises(services.FeedbackError):
        services.accept_complaint(c, user=world.county.a.staff[Post.LEADER])


def test_complaint_linked_to_case_appears_on_case_timeline(client, world):
    a = world.county.a
    c = new_complaint(world, at(2026, 11, 4, 9), target="case", case_no=world.decided.case_no,
                      query_code="Q7654321", target_department=None)
    assert c.case == world.decided and c.case_verified and c.department == a.department
    assert list(selectors.complaints_for_case(world.decided)) == [c]
    assert list(selectors.complaints_for_case(world.decided, user=world.county.b.staff[Post.LEADER])) == []
    entries = selectors.timeline_entries_for_case(world.decided, user=a.staff[Post.LEADER])
    assert entries[0]["kind"] == "complaint" and c.receipt_no in entries[0]["label"]
    # Handled through the staff pages.
    client.force_login(a.staff[Post.LEADER])
    inbox = client.get(reverse("feedback:inbox")).content.decode()
    assert c.receipt_no in inbox and world.decided.case_no in inbox
    url = reverse("feedback:complaint", args=[c.pk])
    assert client.post(url, {"action": "accept", "accept-note": "受理"}).status_code == 302
    assert client.post(url, {"action": "assign", "assign-assignee": a.staff[Post.REVIEWER1].pk}).status_code == 302
    assert client.post(url, {"action": "investigate", "investigate-note": "调取录像"}).status_code == 302
    assert client.post(url, {"action": "resolve", "resolve-result": "substantiated",
                             "resolve-reply": "情况属实，已整改"}).status_code == 302
    c.refresh_from_db()
    assert c.status == "resolved" and c.assigned_to == a.staff[Post.REVIEWER1] and c.result == "substantiated"
    assert "13900139000" in client.get(url).content.decode()  # handlers see the full number


def test_assign_only_within_department(world):
    c = new_complaint(world, at(2026, 11, 4, 9))
    with pytest.raises(services.FeedbackError):
        services.assign_complaint(c, user=world.county.a.staff[Post.LEADER],
                                  assignee=world.county.b.staff[Post.ACCEPTOR])


def test_scoping_department_b_cannot_see_department_a(client, world):
    a, b = world.county.a, world.county.b
    c = new_complaint(world, at(2026, 11, 4, 9))
    extortion = new_complaint(world, at(2026, 11, 4, 9), type=ComplaintType.EXTORTION, description="索要好处")
    assert extortion.department == world.supervision
    client.force_login(b.staff[Post.LEADER])
    assert c.receipt_no not in client.get(reverse("feedback:inbox")).content.decode()
    assert client.get(reverse("feedback:complaint", args=[c.pk])).status_code == 404
    assert client.post(reverse("feedback:complaint", args=[c.pk]), {"action": "accept"}).status_code == 404
    # The accused department does not see the extortion complaint handled by the supervision office.
    client.force_login(a.staff[Post.LEADER])
    html = client.get(reverse("feedback:inbox")).content.decode()
    assert c.receipt_no in html and extortion.receipt_no not in html
    assert client.get(reverse("feedback:complaint", args=[extortion.pk])).status_code == 404
    # The region's supervisor sees both and handles the one routed to the supervision office.
    client.force_login(world.county.supervisor)
    html = client.get(reverse("feedback:inbox")).content.decode()
    assert c.receipt_no in html and extortion.receipt_no in html
    assert client.post(reverse("feedback:complaint", args=[c.pk]), {"action": "accept"}).status_code == 403
    assert client.post(reverse("feedback:complaint", args=[extortion.pk]), {"action": "accept"}).status_code == 302
    # The service centre sees irregular-handling complaints routed to it, not department A's own.
    irregular = new_complaint(world, at(2026, 11, 4, 9), type=ComplaintType.IRREGULAR)
    client.force_login(world.centre_staff)
    html = client.get(reverse("feedback:inbox")).content.decode()
    assert irregular.receipt_no in html and c.receipt_no not in html


def test_attachment_download_is_scoped(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")
    c = new_complaint(world, at(2026, 11, 4, 9), files=[upload])
    att = ComplaintAttachment.objects.get(complaint=c)
    url = reverse("feedback:attachment", args=[att.pk])
    client.force_login(world.county.b.staff[Post.LEADER])
    assert client.get(url).status_code == 404
    client.force_login(world.county.a.staff[Post.LEADER])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_nothing_half_stored_when_an_attachment_fails(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")
    with mock.patch.object(ComplaintAttachment.objects, "create", side_effect=OSError("disk full")):
        with pytest.raises(OSError):
            new_complaint(world, at(2026, 11, 4, 9), files=[upload])
    assert not Complaint.objects.exists() and not FeedbackTransition.objects.exists()


# --- ratings --------------------------------------------------------------------------------------------------------


def test_bad_rating_verify_rectify_callback(client, world):
    a = world.county.a
    r = services.submit_rating(case=world.decided, channel="online", level=1, comment="排队太久",
                               scores={"efficiency": 1}, now=at(2026, 9, 29, 10))
    assert r.is_bad and r.stage == "verify"
    assert r.rectify_due == at(2026, 10, 12, 17, 30)  # 5 wd across the holiday
    assert {d["level"]: d["at"] for d in r.deadlines} == {
        "warning": at(2026, 10, 12, 8, 30).isoformat(),
        "yellow": (at(2026, 10, 12, 17, 30) + S).isoformat(),
        "red": (at(2026, 10, 15, 17, 30) + S).isoformat(),
    }
    leader = a.staff[Post.LEADER]
    with pytest.raises(services.FeedbackError):  # order is enforced
        services.rectify_rating(r, user=leader, rectification="x")
    r = services.verify_rating(r, user=leader, verification="高峰期只开一个窗口，属实", now=at(2026, 9, 30, 9))
    assert r.stage == "rectify"
    r = services.rectify_rating(r, user=leader, rectification="增开两个窗口，实行预约分流",
                                now=at(2026, 10, 12, 17, 30))  # exactly at the due: on time
    assert r.stage == "callback" and levels(r) == {"warning"}
    client.force_login(leader)
    url = reverse("feedback:rating", args=[r.pk])
    assert client.post(url, {"action": "callback", "callback-result": "satisfied",
                             "callback-note": "群众表示满意"}).status_code == 302
    r.refresh_from_db()
    assert r.stage == "done" and r.callback_result == "satisfied"
    stats = selectors.department_stats(at(2026, 9, 1, 0), at(2026, 10, 1, 0), [a.department.pk])[a.department.pk]
    assert (stats.ratings, stats.bad_ratings, stats.rectified_on_time, stats.rectification_on_time_rate) == (1, 1, 1, 1.0)


def test_rating_removed_on_appeal(client, world):
    a = world.county.a
    r = services.submit_rating(case=world.decided, channel="online", level=1, comment="恶意刷差评",
                               now=at(2026, 11, 2, 9))
    services.submit_rating(case=world.delivered, channel="online", level=4, now=at(2026, 11, 2, 9))
    client.force_login(a.staff[Post.LEADER])
    url = reverse("feedback:rating", args=[r.pk])
    assert client.post(url, {"action": "appeal", "appeal-reason": "评价人与办件无关，系恶意评价"}).status_code == 302
    assert client.post(url, {"action": "decide", "decide-decision": "uphold", "decide-note": "x"}).status_code == 403
    client.force_login(world.county.supervisor)
    assert client.post(url, {"action": "decide", "decide-decision": "uphold",
                             "decide-note": "经核实为恶意评价，予以撤销"}).status_code == 302
    r.refresh_from_db()
    assert r.removed and r.removal_reason == "经核实为恶意评价，予以撤销" and r.appeal_status == "upheld"
    assert Rating.objects.filter(pk=r.pk).exists()  # nothing deleted
    assert "经核实为恶意评价" in client.get(url).content.decode()  # reason visible to supervisors
    stats = selectors.department_stats(at(2026, 11, 1, 0), at(2026, 12, 1, 0), [a.department.pk])[a.department.pk]
    assert (stats.ratings, stats.bad_ratings, stats.rating_mean) == (1, 0, 4.0)  # removed ratings never count


def test_department_stats_definitions(world):
    a, b = world.county.a, world.county.b
    leader = a.staff[Post.LEADER]
    c1 = services.submit_consultation(department=a.department, question="q", asker_name="n",
                                      phone="13800138000", now=at(2026, 11, 2, 9))
    services.reply_consultation(c1, user=leader, reply="r", now=at(2026, 11, 3, 9))  # on time
    c2 = services.submit_consultation(department=a.department, question="q", asker_name="n",
                                      phone="13800138000", now=at(2026, 11, 2, 9))
    services.reply_consultation(c2, user=leader, reply="r", now=at(2026, 11, 20, 9))  # late
    services.submit_consultation(department=a.department, question="q", asker_name="n", phone="13800138000",
                                 now=at(2026, 10, 30, 9))  # other period
    k1 = new_complaint(world, at(2026, 11, 2, 9))
    k1 = services.accept_complaint(k1, user=leader, now=at(2026, 11, 3, 9))
    services.resolve_complaint(k1, user=leader, result="substantiated", reply="r", now=at(2026, 11, 10, 9))
    new_complaint(world, at(2026, 11, 2, 9), type=ComplaintType.FEES)  # about A, handled by JC, still open
    services.submit_rating(case=world.decided, channel="online", level=5, now=at(2026, 11, 5, 9))
    services.submit_rating(case=world.decided, channel="window", level=2, now=at(2026, 11, 5, 9))
    services.submit_rating(case=world.b_decided, channel="online", level=3, now=at(2026, 11, 5, 9))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.department_stats(at(2026, 11, 1, 0).date(), at(2026, 11, 30, 0).date())
    assert len(ctx.captured_queries) == 4
    sa, sb, sjc = rows[a.department.pk], rows[b.department.pk], rows[world.supervision.pk]
    assert (sa.consultations, sa.consultations_on_time, sa.consultation_on_time_rate) == (2, 1, 0.5)
    assert (sa.complaints, sa.complaints_substantiated) == (2, 1)
    assert (sa.complaints_handled, sa.complaints_handled_on_time, sa.complaint_on_time_rate) == (1, 1, 1.0)
    assert (sjc.complaints_handled, sjc.complaints_handled_on_time, sjc.complaint_on_time_rate) == (1, 0, 0.0)
    assert (sa.ratings, sa.rating_mean, sa.bad_ratings, sa.bad_share) == (2, 3.5, 1, 0.5)
    assert (sa.rectified_on_time, sa.rectification_on_time_rate) == (0, 0.0)
    assert (sb.ratings, sb.rating_mean, sb.bad_ratings, sb.bad_share, sb.rectification_on_time_rate) == (
        1, 3.0, 0, 0.0, None)
    assert sb.consultation_on_time_rate is None
    only = selectors.department_stats(at(2026, 11, 1, 0).date(), at(2026, 11, 30, 0).date(), [world.centre.pk])
    assert list(only) == [world.centre.pk] and only[world.centre.pk].consultations == 0


# --- device (评价器) -------------------------------------------------------------------------------------------------


def test_device_kiosk_rates_case_just_handled(client, world):
    a = world.county.a
    url = reverse("feedback_public:device", args=[world.window.pk])
    assert client.get(url).status_code == 302  # login required
    client.force_login(world.county.b.staff[Post.ACCEPTOR])
    assert client.get(url).status_code == 403
    client.force_login(a.staff[Post.ACCEPTOR])
    page = client.get(url).content.decode()
    assert world.delivered.case_no in page  # the most recently decided case of the window's department
    data = {"case": world.delivered.pk, "level": 4, "dim_efficiency": 4, "dim_service_level": 5,
            "dim_attitude": 5, "comment": ""}
    assert client.post(url, data).status_code == 302
    r = Rating.objects.get()
    assert (r.channel, r.window, r.recorded_by, r.case) == ("device", world.window, a.staff[Post.ACCEPTOR],
                                                            world.delivered)
    assert r.scores == {"overall": 4, "efficiency": 4, "service_level": 5, "attitude": 5}
    assert client.post(url, data).status_code == 400  # second device rating of the same case
    assert client.post(url, {**data, "case": world.b_decided.pk}).status_code == 400  # not this window's
    assert client.post(url, {**data, "case": world.open_case.pk}).status_code == 400  # not decided
    assert Rating.objects.count() == 1


def test_staff_pages_render(client, world):
    client.force_login(world.county.a.staff[Post.LEADER])
    for tab in ("complaints", "consultations", "ratings"):
        for show in ("open", "all"):
            assert client.get(reverse("feedback:inbox"), {"tab": tab, "show": show}).status_code == 200
    assert client.get(reverse("feedback:stats")).status_code == 200


def test_supervision_subjects_registered():
    from xiaoneng.supervision import subjects

    assert subjects.get("consultation").model is Consultation
    assert subjects.get("complaint").model is Complaint and subjects.get("complaint").case_field == "case"
    assert subjects.get("rating").model is Rating and subjects.get("rating").case_field == "case"


def test_device_prefers_the_case_the_clerk_just_handled(client, world):
    from xiaoneng.cases.models import CaseEvent

    clerk = world.county.a.staff[Post.ACCEPTOR]
    # world.decided was decided before world.delivered, but the clerk touched it last.
    CaseEvent.objects.create(case=world.decided, region_code=world.decided.region_code,
                             department_id=world.decided.department_id, seq=1, event_id="e1",
                             type="delivered", occurred_at=at(2026, 11, 4, 9), received_at=at(2026, 11, 4, 9),
                             actor_id=clerk.username, hash="x" * 64)
    client.force_login(clerk)
    response = client.get(reverse("feedback_public:device", args=[world.window.pk]))
    assert response.context["case"] == world.decided


def test_calendar_change_reprojects_open_items_only(world, django_capture_on_commit_callbacks):
    from datetime import date

    from xiaoneng.workcal.services import set_override

    open_c = new_complaint(world, at(2026, 11, 2, 9))
    closed = new_complaint(world, at(2026, 11, 2, 9))
    closed = services.decline_complaint(closed, user=world.county.a.staff[Post.LEADER], reason="重复投诉",
                                        now=at(2026, 11, 2, 10))
    assert open_c.accept_due == at(2026, 11, 9, 17, 30)
    with django_capture_on_commit_callbacks(execute=True):
        set_override(date(2026, 11, 4), "holiday", "本地停电闭厅", region=world.county.county.code)
    open_c.refresh_from_db()
    closed.refresh_from_db()
    assert open_c.accept_due == at(2026, 11, 10, 17, 30)
    assert closed.accept_due == at(2026, 11, 9, 17, 30)
