"""Public forms: valid input, every kind of invalid input, escaping, rate limits, challenge, lookup."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xiaoneng.core.crypto import decrypt
from xiaoneng.feedback.challenge import SESSION_PREFIX
from xiaoneng.feedback.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintType,
    Consultation,
    FeedbackTransition,
    Rating,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
XSS = '<script>alert("x")</script>'


def answer(client, form_name, url):
    response = client.get(url)
    assert response.status_code == 200
    return str(client.session[SESSION_PREFIX + form_name])


def post(client, form_name, url, data, **kw):
    data = {**data}
    data.setdefault("challenge", answer(client, form_name, url))
    return client.post(url, data, **kw)


def consult_data(world, **kw):
    return {"department": world.county.a.department.pk, "question": "营业执照变更需要哪些材料？",
            "asker_name": "李四", "phone": "13800138000", "publish_consent": "on", **kw}


def complaint_data(world, **kw):
    return {"type": ComplaintType.ATTITUDE, "target": "department", "target_department": world.county.a.department.pk,
            "description": "窗口人员态度恶劣。", "complainant_name": "王五", "phone": "13900139000", **kw}


CONSULT = reverse("feedback_public:consult")
COMPLAIN = reverse("feedback_public:complain")
RATE = reverse("feedback_public:rate")
LOOKUP = reverse("feedback_public:lookup")


# --- consultation ---------------------------------------------------------------------------------------------------


def test_consultation_valid_gets_receipt_and_is_stored(client, world):
    response = post(client, "consult", CONSULT, consult_data(world))
    assert response.status_code == 302
    c = Consultation.objects.get()
    assert response.url == reverse("feedback_public:receipt", args=[c.receipt_no])
    page = client.get(response.url)
    assert c.receipt_no in page.content.decode()
    assert c.department == world.county.a.department and c.publish_consent
    assert decrypt(c.phone_cipher) == "13800138000" and "13800138000" not in c.phone_cipher
    assert c.phone_last4 == "8000" and c.reply_due is not None and c.next_check_at is not None
    assert c.deadlines and {d["rule"] for d in c.deadlines} == {"consultation"}
    assert FeedbackTransition.objects.filter(subject_type="consultation", subject_id=c.pk, action="submit").exists()


def test_consultation_by_item_routes_to_item_department(client, world):
    item = world.county.b.version.item
    post(client, "consult", CONSULT, consult_data(world, department="", item=item.pk))
    assert Consultation.objects.get().department == world.county.b.department


@pytest.mark.parametrize("field", ["question", "asker_name", "phone"])
def test_consultation_missing_fields(client, world, field):
    response = post(client, "consult", CONSULT, consult_data(world, **{field: ""}))
    assert response.status_code == 400
    assert "此项为必填项" in response.content.decode()
    assert not Consultation.objects.exists()


def test_consultation_needs_department_or_item(client, world):
    response = post(client, "consult", CONSULT, consult_data(world, department=""))
    assert response.status_code == 400 and "请选择咨询的部门或事项" in response.content.decode()


def test_consultation_oversized_text(client, world):
    response = post(client, "consult", CONSULT, consult_data(world, question="问" * 2001))
    assert response.status_code == 400
    assert "最多 2000 个字" in response.content.decode()
    assert not Consultation.objects.exists()


def test_consultation_bad_phone(client, world):
    response = post(client, "consult", CONSULT, consult_data(world, phone="12345"))
    assert response.status_code == 400 and "请输入正确的手机号码" in response.content.decode()


def test_wrong_or_missing_challenge(client, world):
    response = post(client, "consult", CONSULT, consult_data(world, challenge="999"))
    assert response.status_code == 400 and "验证问题回答错误" in response.content.decode()
    # No challenge issued in this session (a bot posting directly) → rejected too.
    client.session.flush()
    response = client.post(CONSULT, {**consult_data(world), "challenge": "3"})
    assert response.status_code == 400
    assert not Consultation.objects.exists()


def test_challenge_is_single_use(client, world):
    value = answer(client, "consult", CONSULT)
    assert client.post(CONSULT, {**consult_data(world), "challenge": value}).status_code == 302
    assert client.post(CONSULT, {**consult_data(world), "challenge": value}).status_code == 400
    assert Consultation.objects.count() == 1


def test_script_injection_stored_raw_and_shown_escaped(client, world):
    response = post(client, "consult", CONSULT, consult_data(world, question=XSS, asker_name=XSS[:60]))
    c = Consultation.objects.get()
    assert c.question == XSS
    html = client.get(response.url).content.decode()
    assert XSS not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_rate_limit_per_ip(client, world, settings):
    settings.XN_FEEDBACK_RATE_LIMIT = 2
    for i in range(2):
        assert post(client, "consult", CONSULT, consult_data(world, phone=f"1380013800{i}")).status_code == 302
    response = post(client, "consult", CONSULT, consult_data(world, phone="13800138009"))
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert Consultation.objects.count() == 2


def test_rate_limit_per_phone(client, world, settings):
    settings.XN_FEEDBACK_RATE_LIMIT = 2
    for ip in ("10.0.0.1", "10.0.0.2"):
        assert post(client, "consult", CONSULT, consult_data(world), REMOTE_ADDR=ip).status_code == 302
    response = post(client, "consult", CONSULT, consult_data(world), REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429 and "该电话号码提交过于频繁" in response.content.decode()


# --- complaint ------------------------------------------------------------------------------------------------------


def test_complaint_valid_with_attachments(client, world):
    files = [SimpleUploadedFile("证据.pdf", PDF, "application/pdf"), SimpleUploadedFile("photo.png", PNG, "image/png")]
    response = post(client, "complain", COMPLAIN, complaint_data(world, attachments=files))
    assert response.status_code == 302, response.content.decode()
    c = Complaint.objects.get()
    assert c.department == world.county.a.department and c.target_department == world.county.a.department
    assert decrypt(c.phone_cipher) == "13900139000"
    atts = list(ComplaintAttachment.objects.filter(complaint=c).order_by("id"))
    assert [a.original_name for a in atts] == ["证据.pdf", "photo.png"]
    assert [a.content_type for a in atts] == ["application/pdf", "image/png"]
    assert atts[0].file.read() == PDF
    html = client.get(response.url).content.decode()
    assert c.receipt_no in html and "13900139000" not in html


@pytest.mark.parametrize("ctype, expected", [
    (ComplaintType.IRREGULAR, "ZX"), (ComplaintType.FEES, "JC"), (ComplaintType.EXTORTION, "JC"),
    (ComplaintType.ATTITUDE, "DA"), (ComplaintType.OTHER, "DA"),
])
def test_complaint_routing(client, world, ctype, expected):
    assert post(client, "complain", COMPLAIN, complaint_data(world, type=ctype)).status_code == 302
    assert Complaint.objects.get().department.code == expected


def test_window_complaint_routes_to_stationed_department(client, world):
    data = complaint_data(world, target="window", window=world.window.pk, target_department="")
    assert post(client, "complain", COMPLAIN, data).status_code == 302
    c = Complaint.objects.get()
    assert c.window == world.window and c.department == world.county.a.department


@pytest.mark.parametrize("changes, message", [
    ({"description": ""}, "此项为必填项"),
    ({"phone": ""}, "此项为必填项"),
    ({"type": ""}, "此项为必填项"),
    ({"description": "投" * 2001}, "最多 2000 个字"),
    ({"target": "case", "case_no": ""}, "请填写办件编号"),
    ({"target": "staff", "staff_name": ""}, "请填写被投诉工作人员"),
    ({"target": "department", "target_department": ""}, "请选择被投诉的部门"),
    ({"target": "window", "window": ""}, "请选择被投诉的窗口"),
])
def test_complaint_invalid(client, world, changes, message):
    response = post(client, "complain", COMPLAIN, complaint_data(world, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Complaint.objects.exists()


def test_complaint_bad_attachment_type(client, world):
    files = [SimpleUploadedFile("run.exe", b"MZ\x90\x00", "application/octet-stream")]
    response = post(client, "complain", COMPLAIN, complaint_data(world, attachments=files))
    assert response.status_code == 400 and "类型不支持" in response.content.decode()
    # A renamed file: the extension says PDF, the content does not.
    files = [SimpleUploadedFile("fake.pdf", b"<html>", "application/pdf")]
    response = post(client, "complain", COMPLAIN, complaint_data(world, attachments=files))
    assert response.status_code == 400 and "内容与文件类型不符" in response.content.decode()
    assert not Complaint.objects.exists() and not ComplaintAttachment.objects.exists()


def test_complaint_attachment_too_large(client, world):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")
    response = post(client, "complain", COMPLAIN, complaint_data(world, attachments=[big]))
    assert response.status_code == 400 and "超过大小限制" in response.content.decode()
    assert not Complaint.objects.exists()


def test_complaint_too_many_attachments(client, world):
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF, "application/pdf") for i in range(4)]
    response = post(client, "complain", COMPLAIN, complaint_data(world, attachments=files))
    assert response.status_code == 400 and "附件最多 3 个" in response.content.decode()
    assert not Complaint.objects.exists()


def test_complaint_script_injection_escaped_everywhere(client, world):
    response = post(client, "complain", COMPLAIN, complaint_data(world, description=XSS, staff_name=XSS[:60]))
    c = Complaint.objects.get()
    assert c.description == XSS
    assert XSS not in client.get(response.url).content.decode()
    client.force_login(world.county.a.staff["leader"])
    html = client.get(reverse("feedback:complaint", args=[c.pk])).content.decode()
    assert XSS not in html and "&lt;script&gt;" in html


def test_complaint_case_link_does_not_reveal_existence(client, world):
    """Public wording is "linked" only with the case's query code; an existing case number without it reads the
    same as a made-up one (no enumeration), while staff see the unverified link."""
    pages = {}
    for label, case_no, code in (("verified", world.decided.case_no, "Q7654321"),
                                 ("exists", world.delivered.case_no, ""),
                                 ("wrong_code", world.open_case.case_no, "WRONG"),
                                 ("missing", "330122-20990101-9999", "")):
        client.cookies.clear()
        data = complaint_data(world, target="case", case_no=case_no, query_code=code, target_department="")
        response = post(client, "complain", COMPLAIN, data, REMOTE_ADDR=f"10.1.0.{len(pages)}")
        assert response.status_code == 302, label
        pages[label] = client.get(response.url).content.decode()
    assert "已关联办件" in pages["verified"]
    for label in ("exists", "wrong_code", "missing"):
        assert "未关联办件" in pages[label] and "已关联办件" not in pages[label]
    by_no = {c.case_no_given: c for c in Complaint.objects.all()}
    assert by_no[world.decided.case_no].case == world.decided and by_no[world.decided.case_no].case_verified
    assert by_no[world.delivered.case_no].case == world.delivered and not by_no[world.delivered.case_no].case_verified
    assert by_no["330122-20990101-9999"].case is None


def test_complaint_rate_limit(client, world, settings):
    settings.XN_FEEDBACK_RATE_LIMIT = 1
    assert post(client, "complain", COMPLAIN, complaint_data(world)).status_code == 302
    response = post(client, "complain", COMPLAIN, complaint_data(world, phone="13700137000"))
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()


# --- rating ---------------------------------------------------------------------------------------------------------


def rating_data(case, code, level=5, **kw):
    data = {"case_no": case.case_no, "rating_code": code, "level": level, "comment": "很好",
            "dim_efficiency": 5, "dim_guide_accuracy": 4, "dim_convenience": 5, "dim_usability": 4}
    data.update(kw)
    return data


def test_rating_valid(client, world):
    response = post(client, "rate", RATE, rating_data(world.decided, "R1234567"))
    assert response.status_code == 302
    r = Rating.objects.get()
    assert r.case == world.decided and r.channel == "online" and r.level == 5 and not r.is_bad
    assert r.scores == {"overall": 5, "efficiency": 5, "guide_accuracy": 4, "convenience": 5, "usability": 4}
    assert r.deadlines == [] and r.next_check_at is None
    assert r.receipt_no in client.get(response.url).content.decode()


def test_bad_rating_opens_rectification(client, world):
    post(client, "rate", RATE, rating_data(world.delivered, "R2222222", level=2, comment=XSS))
    r = Rating.objects.get()
    assert r.is_bad and r.stage == "verify" and r.rectify_due is not None
    assert {d["rule"] for d in r.deadlines} == {"rectification"} and r.comment == XSS


@pytest.mark.parametrize("case_attr, code", [("decided", "WRONG000"), ("decided", ""), (None, "R1234567")])
def test_rating_wrong_code_same_message(client, world, case_attr, code):
    case = getattr(world, case_attr) if case_attr else type("C", (), {"case_no": "330122-20990101-0000"})()
    response = post(client, "rate", RATE, rating_data(case, code))
    assert response.status_code == 400
    html = response.content.decode()
    assert ("办件编号或评价码不正确" in html) or ("此项为必填项" in html and code == "")
    assert not Rating.objects.exists()


def test_rating_second_time_rejected(client, world):
    assert post(client, "rate", RATE, rating_data(world.decided, "R1234567")).status_code == 302
    response = post(client, "rate", RATE, rating_data(world.decided, "R1234567", level=1))
    assert response.status_code == 400 and "只能评价一次" in response.content.decode()
    assert Rating.objects.count() == 1 and Rating.objects.get().level == 5


def test_rating_non_decided_case(client, world):
    response = post(client, "rate", RATE, rating_data(world.open_case, "R3333333"))
    assert response.status_code == 400 and "尚未办结" in response.content.decode()
    assert not Rating.objects.exists()


@pytest.mark.parametrize("changes", [{"level": ""}, {"level": "7"}, {"dim_efficiency": ""}, {"comment": "评" * 2001}])
def test_rating_invalid_fields(client, world, changes):
    response = post(client, "rate", RATE, rating_data(world.decided, "R1234567", **changes))
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_rating_code_guessing_is_limited(client, world, settings):
    settings.XN_FEEDBACK_GUESS_LIMIT = 3
    for i in range(3):
        assert post(client, "rate", RATE, rating_data(world.decided, f"BAD{i}")).status_code == 400
    response = post(client, "rate", RATE, rating_data(world.decided, "R1234567"))
    assert response.status_code == 429
    assert not Rating.objects.exists()


# --- lookup and Q&A -------------------------------------------------------------------------------------------------


def test_lookup_needs_receipt_and_phone_last4(client, world):
    post(client, "complain", COMPLAIN, complaint_data(world))
    c = Complaint.objects.get()
    other = client.__class__()
    ok = other.post(LOOKUP, {"receipt_no": c.receipt_no, "phone_last4": "9000"})
    assert ok.status_code == 200 and c.get_status_display() in ok.content.decode()
    assert "13900139000" not in ok.content.decode()
    for data in ({"receipt_no": c.receipt_no, "phone_last4": "1234"}, {"receipt_no": "TS2026000000", "phone_last4": "9000"}):
        bad = other.post(LOOKUP, data)
        assert bad.status_code == 404 and "未找到相符的记录" in bad.content.decode()
    assert other.post(LOOKUP, {"receipt_no": c.receipt_no, "phone_last4": "90"}).status_code == 400
    # The receipt page itself is bound to the submitting session.
    assert other.get(reverse("feedback_public:receipt", args=[c.receipt_no])).status_code == 302


def test_lookup_guessing_is_limited(client, world, settings):
    settings.XN_FEEDBACK_GUESS_LIMIT = 2
    for _ in range(2):
        client.post(LOOKUP, {"receipt_no": "TS2026000000", "phone_last4": "0000"})
    assert client.post(LOOKUP, {"receipt_no": "TS2026000000", "phone_last4": "0000"}).status_code == 429


def test_public_pages_render(client, world):
    for name in ("index", "consult", "complain", "rate", "lookup", "qa"):
        response = client.get(reverse(f"feedback_public:{name}"))
        assert response.status_code == 200, name
        assert 'name="viewport"' in response.content.decode()
