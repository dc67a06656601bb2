"""Browser test (Debian's Chromium through Playwright): apply online with uploads, the clerk asks for a
correction, the applicant uploads the missing material, the case is accepted and decided, and the public
progress query shows each stage."""


import pytest

from tests.browser import BROWSER, new_page
from xiaoneng.cases.models import Case
from xiaoneng.portal import services

pytestmark = BROWSER


@pytest.fixture
def page(browser):
    return new_page(browser, 390, 844, timeout_ms=15000)  # a phone


def _query_status(page, live_server, case) -> str:
    page.goto(f"{live_server.url}/query/")
    page.get_by_label("办件编号").fill(case.case_no)
    page.get_by_label("查询码").fill(case.query_code)
    page.get_by_role("button", name="查询").click()
    return page.locator(".progress").inner_text()


def test_apply_correct_accept_decide_and_query(page, live_server, county, clerk, tmp_path):
    item = county.a.version.item
    services.register_applicant(applicant_type="person", phone="13800000009", name="张三",
                                password="Xn-pass-2026!", id_no="11010519491231002X")
    pdf = tmp_path / "申请书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    png = tmp_path / "身份证.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)

    # Log in, find the guide, apply.
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("手机号码或账号").fill("13800000009")
    page.get_by_label("密码").fill("Xn-pass-2026!")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my/")
    page.goto(f"{live_server.url}/guide/?q={item.name}")
    page.get_by_role("link", name=item.name).first.click()
    page.get_by_role("link", name="在线申报").click()
    page.get_by_label("申请事项说明").fill("申请办理，请审查。")
    m1, m2 = item.current_version.materials.order_by("order")
    page.set_input_files(f"#m_{m1.pk}", str(pdf))
    page.set_input_files(f"#m_{m2.pk}", str(png))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/my/*/")
    assert "申请已提交" in page.content()
    case = Case.objects.get()
    assert case.channel == "online" and case.status == "submitted"
    assert "已申报" in _query_status(page, live_server, case)

    # The clerk asks for everything missing at once.
    clerk.act(case, "correction_requested", materials=["营业场所平面图"])
    assert "补正中" in _query_status(page, live_server, case)
    page.goto(f"{live_server.url}/my/{case.case_no}/")
    assert "营业场所平面图" in page.locator(".correction").inner_text()
    page.set_input_files("#c_0", str(pdf))
    page.get_by_role("button", name="提交补正").click()
    page.wait_for_selector("text=补正材料已提交")
    case.refresh_from_db()
    assert case.status == "submitted"

    # Accepted and handled.
    case = clerk.act(case, "accepted")
    case = clerk.act(case, "step_completed", step="accept", outcome="pass")
    text = _query_status(page, live_server, case)
    assert "办理中" in text and "按时" in text
    case = clerk.steps_through(case, ("review1", "review2", "decide"))
    case = clerk.act(case, "decided", "decider", result="approved", document_no="许字〔2026〕8号")
    text = _query_status(page, live_server, case)
    assert "已办结" in text and "准予许可" in text
    assert "张三" not in text and "1101" not in text  # no personal data in the public progress
    page.goto(f"{live_server.url}/my/{case.case_no}/")
    assert "许字〔2026〕8号" in page.content()
