"""Page-level behaviour: htmx partials, 已办, the periodic job (bounded inbox queries: test_inbox_queries)."""

import pytest

from tests.workbench.conftest import fresh
from xiaoneng.core import periodic
from xiaoneng.org.models import Post
from xiaoneng.workbench.services import deemed_consent

pytestmark = pytest.mark.django_db


def test_htmx_action_returns_the_case_panel(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    response = desk.post(f"/staff/cases/c/{case.case_no}/accept/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="case-panel">') and "<html" not in html
    assert "已受理" in html and fresh(case).status == "accepted"
    # A refused action answers with the panel and the reason, not an error page.
    response = desk.post(f"/staff/cases/c/{case.case_no}/accept/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "只有待受理的申请才能受理" in response.content.decode()


def test_done_list_shows_my_actions(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    html = desk.get("/staff/cases/done/").content.decode()
    assert case.case_no in html and "申办登记" in html and "受理" in html
    desk.as_(a.staff[Post.REVIEWER1])
    assert case.case_no not in desk.get("/staff/cases/done/").content.decode()


def test_deemed_consent_is_a_periodic_job():
    job = {j.name: j for j in periodic.jobs()}["workbench.deemed_consent"]
    assert job.func is deemed_consent and job.interval_seconds <= 600


def test_case_list_filters(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    html = desk.get("/staff/cases/list/", {"status": "submitted"}).content.decode()
    assert case.case_no in html
    html = desk.get("/staff/cases/list/", {"status": "delivered"}).content.decode()
    assert f'href="/staff/cases/c/{case.case_no}/"' not in html
