"""A 承诺件 driven through the real UI in Debian's Chromium (Playwright): register, accept, review, decide, deliver."""

import re

import pytest
from django.test import Client

from tests.browser import BROWSER
from xiaoneng.cases.models import Case
from xiaoneng.org.models import Post

pytestmark = [*BROWSER, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def page_as(browser, live_server, user):
    """A browser page logged in as ``user`` (session cookie from Django's test client)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def test_promised_case_through_the_browser(world, live_server, browser):
    from playwright.sync_api import expect

    a = world.a
    clerk = page_as(browser, live_server, a.staff[Post.ACCEPTOR])
    clerk.goto(f"{live_server.url}/staff/cases/register/")
    clerk.select_option("#id_item", str(a.version.item.pk))
    clerk.wait_for_selector("#materials input[type=checkbox]")  # htmx loaded the checklist
    for box in clerk.locator("#materials input[type=checkbox]").all():
        box.check()
    clerk.fill("#id_applicant_name", "张三")
    clerk.fill("#id_id_no", "330122199001011234")
    clerk.fill("#id_phone", "13800000000")
    clerk.click("#application-form button[type=submit]")
    clerk.wait_for_url(re.compile(r"/staff/cases/c/\d+/$"))
    case_no = clerk.url.rstrip("/").split("/")[-1]
    assert clerk.inner_text("[data-testid=case-status]") == "已申报"
    clerk.click("[data-action=accept]")  # htmx swaps the case panel
    expect(clerk.locator("[data-testid=case-status]")).to_have_text("办理中")
    assert "受理通知书" in clerk.content()

    for post in (Post.REVIEWER1, Post.REVIEWER2):
        page = page_as(browser, live_server, a.staff[post])
        page.goto(f"{live_server.url}/staff/cases/")
        page.click(f"a[href='/staff/cases/c/{case_no}/']")
        form = page.locator(".step-action form").last
        form.locator("select").select_option("pass")
        form.locator("textarea").fill("同意")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("text=已提交办理意见")

    decider = page_as(browser, live_server, a.staff[Post.DECIDER])
    decider.goto(f"{live_server.url}/staff/cases/c/{case_no}/")
    decider.select_option("#id_result", "approved")
    decider.fill("#id_document_no", "DA许〔2026〕7号")
    decider.click("text=作出决定")
    expect(decider.locator("[data-testid=case-status]")).to_have_text("已办结")

    notifier = page_as(browser, live_server, a.staff[Post.NOTIFIER])
    notifier.goto(f"{live_server.url}/staff/cases/c/{case_no}/")
    notifier.select_option("#id_method", "window")
    notifier.click("text=确认送达")
    expect(notifier.locator("[data-testid=case-status]")).to_have_text("已送达")

    case = Case.objects.get(case_no=case_no)
    assert case.status == "delivered" and case.document_no == "DA许〔2026〕7号"
    assert list(case.events.order_by("seq").values_list("type", flat=True)) == [
        "submitted", "accepted", "step_completed", "step_completed", "step_completed", "step_completed",
        "decided", "delivered"]
