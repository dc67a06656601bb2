"""Browser test (Debian's Chromium through Playwright): a citizen files a complaint on the public site and the
handling department's leader sees it in the staff inbox."""

import re

from django.test import Client

from tests.browser import BROWSER
from xiaoneng.feedback.models import Complaint
from xiaoneng.org.models import Post

pytestmark = BROWSER


def solve(question: str) -> str:
    a, op, b = re.match(r"\s*(\d+)\s*([+−-])\s*(\d+)", question).groups()
    return str(int(a) + int(b) if op == "+" else int(a) - int(b))


def test_public_complaint_reaches_handler_inbox(browser, live_server, world):
    department = world.county.a.department
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    page = citizen.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/feedback/complain/")
    page.get_by_label("投诉类型").select_option(label="服务态度")
    page.get_by_label("被投诉部门").select_option(label=department.name)
    page.get_by_label("投诉内容").fill("窗口工作人员态度生硬，<b>拒绝解释</b>。")
    page.get_by_label("联系电话").fill("13900139000")
    page.get_by_label("验证问题").fill(solve(page.locator(".fb-question").inner_text()))
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_url("**/feedback/receipt/**")
    receipt_no = page.locator(".fb-big").inner_text().strip()
    complaint = Complaint.objects.get()
    assert receipt_no == complaint.receipt_no and complaint.department == department
    assert "13900139000" not in page.content()
    citizen.close()

    # The department leader's browser: a session made by Django's test client (axes-safe force_login).
    client = Client()
    client.force_login(world.county.a.staff[Post.LEADER])
    staff = browser.new_context(locale="zh-CN")
    staff.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = staff.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/staff/feedback/")
    page.get_by_role("link", name=receipt_no).click()
    assert "<b>拒绝解释</b>" in page.locator(".fb-text").first.inner_text()  # shown escaped, as typed
    assert page.locator(".fb-status").inner_text() == "待受理"
    staff.close()
