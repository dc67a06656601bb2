"""Permissions: every role against another department's case — view, act, print — gets a 404 (no data leak)."""

import pytest

from tests.factories import UserFactory, make_region
from tests.workbench.conftest import fresh, linked
from xiaoneng.org.models import Department, Post, PostAssignment

pytestmark = pytest.mark.django_db

ACTIONS = [
    ("accept", {}), ("reject", {"reject-reason": "x"}), ("correct", {"materials": "x"}),
    ("claim", {"step": "review1"}), ("step", {"step": "review1", "outcome": "pass"}),
    ("special-start", {"reason": "testing", "workdays": "1"}), ("extension", {"workdays": "1", "reason": "x"}),
    ("fee", {"fee_code": "F01"}), ("decide", {"result": "approved"}), ("deliver", {"method": "window"}),
    ("withdraw", {"withdraw-reason": "x"}), ("forward", {"opinion": "x"}),
]


@pytest.fixture
def a_case(world, desk):
    a = world.a
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    return fresh(case)


@pytest.fixture
def other_supervisor(world):
    region = make_region("330127000000", "邻县", "county", world.county.county.parent)
    dept = Department.objects.create(code="JC2", name="邻县监察局", region=region, kind="supervision")
    user = UserFactory(username="other_supervisor", department=dept)
    PostAssignment.objects.create(user=user, department=dept, post=Post.SUPERVISOR)
    return user


def outsiders(world, other_supervisor):
    b = world.b.staff
    return {
        "b_acceptor": b[Post.ACCEPTOR], "b_reviewer1": b[Post.REVIEWER1], "b_decider": b[Post.DECIDER],
        "b_notifier": b[Post.NOTIFIER], "b_leader": b[Post.LEADER], "b_admin": b[Post.DEPT_ADMIN],
        "other_region_supervisor": other_supervisor, "agent": world.agent,
        "no_posts": UserFactory(username="nobody", department=world.b.department),
    }


def test_outsiders_get_404_everywhere(world, desk, a_case, other_supervisor):
    url = f"/staff/cases/c/{a_case.case_no}/"
    before = a_case.event_count
    for role, user in outsiders(world, other_supervisor).items():
        desk.as_(user)
        assert desk.get(url).status_code == 404, role
        assert desk.get(url, {"partial": "panel"}, headers={"HX-Request": "true"}).status_code == 404, role
        assert desk.get(f"{url}print/acceptance/").status_code == 404, role
        for action, data in ACTIONS:
            assert desk.post(f"{url}{action}/", data).status_code == 404, (role, action)
        assert linked(a_case) not in desk.get("/staff/cases/").content.decode(), role
        assert linked(a_case) not in desk.get("/staff/cases/list/").content.decode(), role
    assert fresh(a_case).event_count == before


def test_the_404_does_not_tell_existing_from_missing(world, desk, a_case):
    desk.as_(world.b.staff[Post.ACCEPTOR])
    existing = desk.get(f"/staff/cases/c/{a_case.case_no}/")
    missing = desk.get("/staff/cases/c/330122000000209901019999/")
    assert existing.status_code == missing.status_code == 404
    assert a_case.applicant_name not in existing.content.decode()


def test_supervisor_of_the_region_reads_only(world, desk, a_case):
    desk.as_(world.county.supervisor)
    url = f"/staff/cases/c/{a_case.case_no}/"
    page = desk.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "只读" in html and 'data-action="accept"' not in html and "330122199001011234" not in html
    assert linked(a_case) in desk.get("/staff/cases/list/").content.decode()
    for action, data in ACTIONS:
        assert desk.post(f"{url}{action}/", data).status_code == 404, action
    assert desk.get(f"{url}print/acceptance/").status_code == 404


def test_leader_sees_the_department(world, desk, a_case):
    desk.as_(world.a.staff[Post.LEADER])
    assert desk.get(f"/staff/cases/c/{a_case.case_no}/").status_code == 200
    assert linked(a_case) in desk.get("/staff/cases/list/").content.decode()


def test_staff_act_only_through_their_posts(world, desk, a_case):
    """Same department but the wrong post: the page is visible, the action is refused and nothing recorded."""
    a = world.a
    before = a_case.event_count
    desk.as_(a.staff[Post.NOTIFIER])
    desk.act(a_case, "step", {"step": "review1", "outcome": "pass"})
    desk.act(a_case, "decide", {"result": "approved"})
    desk.act(a_case, "special-start", {"reason": "testing", "workdays": "1"})
    desk.as_(a.staff[Post.REVIEWER2]).act(a_case, "accept")
    assert fresh(a_case).event_count == before
    page = desk.as_(a.staff[Post.REVIEWER2]).page(a_case).content.decode()
    assert 'data-step="review1"' in page and 'class="action step-action"' not in page


def test_agent_sees_only_own_submissions(world, desk, a_case):
    desk.as_(world.agent)
    assert desk.get("/staff/cases/agent/").status_code == 200
    assert linked(a_case) not in desk.get("/staff/cases/agent/").content.decode()
    # Staff without the agent post cannot use the agent pages.
    desk.as_(world.a.staff[Post.ACCEPTOR])
    assert desk.get("/staff/cases/agent/").status_code == 404
    assert desk.get("/staff/cases/agent/new/").status_code == 404


def test_window_pages_need_a_window_post(world, desk):
    desk.as_(world.a.staff[Post.REVIEWER1])
    assert desk.get("/staff/cases/register/").status_code == 404
    assert desk.get("/staff/cases/instant/").status_code == 404
    desk.as_(world.county.supervisor)
    assert desk.get("/staff/cases/register/").status_code == 404


def test_anonymous_is_sent_to_login(client, a_case):
    client.logout()
    response = client.get(f"/staff/cases/c/{a_case.case_no}/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_navigation_entries_by_post(world, desk):
    desk.as_(world.a.staff[Post.ACCEPTOR])
    home = desk.get("/staff/").content.decode()
    assert "申办登记" in home and "待办" in home and "已办" in home and ">代办<" not in home
    desk.as_(world.agent)
    home = desk.get("/staff/").content.decode()
    assert ">代办<" in home and "申办登记" not in home
    desk.as_(world.a.staff[Post.REVIEWER1])
    assert "申办登记" not in desk.get("/staff/").content.decode()
