"""No page leaks another applicant's data; the progress query; public disclosure with masked names."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.portal.conftest import upload
from xiaoneng.cases.models import Case
from xiaoneng.cases.services import NewEvent, next_case_no, record_event_or_raise
from xiaoneng.portal.models import ApplicationFile


def _apply(client, user, item, name="张三"):
    m1, m2 = item.current_version.materials.order_by("order")
    client.force_login(user)
    client.post(f"/apply/{item.code}/", {
        "applicant_type": "person", "applicant_name": name, "contact_phone": "13800000001", "action": "submit",
        f"m_{m1.pk}": [upload("a.pdf")], f"m_{m2.pk}": [upload("b.pdf")]})
    return Case.objects.filter(applicant_user=user).latest("id")


@pytest.fixture
def two_cases(county, applicant, other_applicant, item):
    mine = _apply(Client(), applicant, item)
    theirs = _apply(Client(), other_applicant, item, name="李四")
    return mine, theirs


def test_guessing_case_numbers_on_my_pages_is_404(client, county, applicant, two_cases):
    mine, theirs = two_cases
    client.force_login(applicant)
    assert client.get(f"/my/{mine.case_no}/").status_code == 200
    assert client.get(f"/my/{theirs.case_no}/").status_code == 404
    # Neighbouring numbers (the daily sequence is guessable) and a nonexistent one give the same 404.
    prefix, seq = mine.case_no[:-6], int(mine.case_no[-6:])
    for n in (seq - 1, seq + 1, seq + 2, 999999):
        r = client.get(f"/my/{prefix}{n:06d}/")
        assert r.status_code == 404
    assert theirs.case_no not in client.get("/my/").content.decode()
    # Posting a correction upload to someone else's case is refused too.
    assert client.post(f"/my/{theirs.case_no}/", {"c_0": [upload("x.pdf")]}).status_code == 404


def test_file_download_only_for_the_owner_and_the_departments_staff(client, county, applicant, other_applicant,
                                                                    two_cases):
    mine, _theirs = two_cases
    f = ApplicationFile.objects.filter(application__case=mine).first()
    url = f"/files/{f.token}/"
    assert Client().get(url).status_code == 404  # anonymous
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404  # another applicant
    client.force_login(county.b.staff["acceptor"])
    assert client.get(url).status_code == 404  # staff of another department
    client.force_login(county.a.staff["acceptor"])
    r = client.get(url)
    assert r.status_code == 200 and r["Cache-Control"].startswith("private")
    assert "attachment" in r["Content-Disposition"]
    client.force_login(applicant)
    assert client.get(url).status_code == 200
    assert client.get("/files/not-a-token/").status_code == 404


def test_other_applicants_drafts_and_files_are_not_reachable(client, county, applicant, other_applicant, item):
    m1 = item.current_version.materials.first()
    client.force_login(applicant)
    client.post(f"/apply/{item.code}/", {"applicant_type": "person", "action": "save",
                                         f"m_{m1.pk}": [upload("a.pdf")]})
    f = ApplicationFile.objects.get()
    token = f.application.token
    client.force_login(other_applicant)
    assert client.get(f"/apply/d/{token}/").status_code == 404
    assert client.post(f"/apply/d/{token}/", {"applicant_type": "person", "action": "save"}).status_code == 404
    assert client.post(f"/apply/files/{f.token}/delete/").status_code == 404
    assert client.post(f"/apply/d/{token}/discard/").status_code == 404
    assert ApplicationFile.objects.filter(pk=f.pk).exists()


def test_progress_query_right_wrong_unknown(client, county, two_cases):
    mine, _ = two_cases
    r = client.post("/query/", {"case_no": mine.case_no, "code": mine.query_code.lower()})
    assert r.status_code == 200 and "已申报" in r.content.decode()
    wrong = client.post("/query/", {"case_no": mine.case_no, "code": "WRONG123"})
    unknown = client.post("/query/", {"case_no": "330122202601019999", "code": mine.query_code})
    assert wrong.status_code == unknown.status_code == 404
    msg = "办件编号或查询码不正确"
    assert msg in wrong.content.decode() and msg in unknown.content.decode()
    assert "已申报" not in wrong.content.decode()
    assert client.get("/query/").status_code == 200


def test_progress_query_is_rate_limited_per_ip(client, county, two_cases, settings):
    mine, _ = two_cases
    settings.XN_PORTAL_QUERY_LIMIT = 3
    for _ in range(3):
        assert client.post("/query/", {"case_no": mine.case_no, "code": "BAD"}).status_code == 404
    r = client.post("/query/", {"case_no": mine.case_no, "code": mine.query_code})
    assert r.status_code == 429 and "次数过多" in r.content.decode()  # even the right code, once blocked
    other_ip = Client(REMOTE_ADDR="10.0.0.9")
    assert other_ip.post("/query/", {"case_no": mine.case_no, "code": mine.query_code}).status_code == 200


def test_disclosure_masks_names_and_shows_figures(client, county, item, clerk):
    now = timezone.now()
    cases = []
    for i, name in enumerate(["王小明", "欧阳娜娜", "测试县某某餐饮有限公司"]):
        case = record_event_or_raise(NewEvent(
            case_no=next_case_no("330122000000"), type="submitted", occurred_at=now - timedelta(hours=3 - i),
            item_code=item.code, department_code="DA",
            payload={"applicant": {"type": "person", "name": name, "id_no": "11010519491231002X"}}))
        cases.append(clerk.act(case, "accepted"))
    clerk.act(cases[0], "decided", "decider", result="approved")
    body = client.get("/disclosure/").content.decode()
    for masked in ("王**", "欧***", "测试县某***"):
        assert masked in body
    for raw in ("王小明", "欧阳娜娜", "测试县某某餐饮有限公司", "1101"):
        assert raw not in body
    assert "最新受理" in body and "最新办结" in body and "测试县市场监督管理局" in body
    assert ">100.0%<" in body  # one decided, on time
    assert client.get("/disclosure/", {"dept": "DA", "month": "2020-13"}).status_code == 200
    body = client.get("/disclosure/", {"dept": "DB"}).content.decode()
    assert "王**" not in body


def test_disclosure_shows_a_published_ranking_when_the_evaluation_app_offers_one(client, county, monkeypatch):
    import sys
    import types

    module = types.ModuleType("xiaoneng.evaluation.selectors")
    module.published_ranking = lambda: {"label": "2026年10月", "rows": [
        {"rank": 1, "department": "市场监管局", "total": 96.5, "grade": "excellent", "grade_label": "优秀"}]}
    monkeypatch.setitem(sys.modules, "xiaoneng.evaluation.selectors", module)
    body = client.get("/disclosure/").content.decode()
    assert "绩效评估排名（2026年10月）" in body and "96.5" in body and "优秀" in body and "市场监管局" in body
    module.published_ranking = lambda: None  # nothing published yet
    assert "绩效评估排名" not in client.get("/disclosure/").content.decode()
    module.published_ranking = lambda: [{"rank": 2, "department": "住建局", "score": 88, "grade": "良好"}]
    assert "住建局" in client.get("/disclosure/").content.decode()


def test_disclosure_with_the_real_evaluation_selector(client, county):
    body = client.get("/disclosure/").content.decode()  # no published scores: no ranking section, no error
    assert "办件公示" in body and "绩效评估排名" not in body


def test_pages_have_lang_labels_and_no_inline_handlers(client, county, applicant):
    client.force_login(applicant)
    for url in ("/", "/guide/", f"/guide/{county.a.version.item.code}/", "/query/", "/disclosure/",
                f"/apply/{county.a.version.item.code}/", "/my/", "/account/"):
        body = client.get(url).content.decode()
        assert '<html lang="zh-CN">' in body, url
        assert "onclick=" not in body and "<script>" not in body, url
        assert 'aria-label="主导航"' in body, url


def test_case_files_selector_for_the_clerk(client, county, two_cases):
    from xiaoneng.portal.selectors import case_files

    mine, _ = two_cases
    files = case_files(mine)
    assert [f["material"] for f in files] == ["申请书", "身份证明"]
    client.force_login(county.a.staff["acceptor"])
    assert client.get(files[0]["url"]).status_code == 200
