"""The inbox runs a fixed number of queries: 5 rows per section or a full page of 20 cost the same."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.cases.conftest import ev, submitted
from xiaoneng.cases.models import CaseStep, StepStatus
from xiaoneng.cases.services import record_events
from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.workbench.models import StepClaim

pytestmark = pytest.mark.django_db

# Session, user, posts (2), three section pages (each carrying its count), claims, B岗 holders, calendar
# token, 上报件, the navigation's scoping look-ups (assignments once per request) and the header's department:
# a per-row query would add 15 to 20.
MAX_QUERIES = 14


def _fill(county, start: int, n: int) -> None:
    """``n`` cases of department A in each section: awaiting acceptance, at the 初审 step (claimed), decided."""
    t = timezone.now() - timedelta(days=3)
    events = []
    for i in range(start, start + n):
        events.append(submitted(f"QA{i}", t, county))
        for kind in ("QR", "QD"):
            events += [submitted(f"{kind}{i}", t, county), ev(f"{kind}{i}", "accepted", t + timedelta(hours=1)),
                       ev(f"{kind}{i}", "step_completed", t + timedelta(hours=2), payload={"step": "accept"})]
        events.append(ev(f"QD{i}", "decided", t + timedelta(hours=3), payload={"result": "approved"}))
    results = record_events(events, received_at=t + timedelta(hours=4))
    assert all(r.status == "accepted" for r in results), [r for r in results if r.status != "accepted"][:3]
    reviewer = county.a.staff[Post.REVIEWER1]
    claimed = StepClaim.objects.values("case_id")
    for step in CaseStep.objects.filter(case__case_no__startswith="QR", status=StepStatus.ACTIVE) \
            .exclude(case_id__in=claimed):
        StepClaim.objects.create(case_id=step.case_id, step_code=step.code, step_started_at=step.started_at,
                                 user=reviewer)


def _page(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/cases/")
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


@pytest.mark.parametrize("who", ["chief_rep", "substitute"])
def test_inbox_queries_do_not_grow_with_the_rows(world, client, who, django_assert_max_num_queries):
    a = world.a
    if who == "chief_rep":
        user = world.chief_rep  # every section: 待受理, all step posts, 待送达
    else:  # B岗 of an away 初审 holder: every row says "代 <holder>"
        PostAssignment.objects.filter(department=a.department, post=Post.REVIEWER1).update(
            away_from=timezone.now() - timedelta(days=1), away_until=timezone.now() + timedelta(days=1))
        user = world.substitute
    _fill(world.county, 0, 5)
    client.force_login(user)
    client.get("/staff/cases/")  # warm caches (calendar, templates)
    html, few = _page(client)
    assert html.count("QR") >= 5
    _fill(world.county, 5, 45)
    with django_assert_max_num_queries(min(few, MAX_QUERIES)):
        html, _many = _page(client)
    assert html.count('href="/staff/cases/c/QR') == 20  # a full page of step rows
    if who == "chief_rep":
        assert html.count('href="/staff/cases/c/QA') == 20 and html.count('href="/staff/cases/c/QD') == 20
    else:
        assert html.count("代 ") >= 20


def test_inbox_pages_carry_their_count(world, client):
    _fill(world.county, 0, 45)
    client.force_login(world.chief_rep)
    html = client.get("/staff/cases/", {"page": "3"}).content.decode()
    assert html.count('href="/staff/cases/c/QR') == 5 and "第 3 / 3 页" in html
    assert '<span class="badge">45</span>' in html
    past_the_end = client.get("/staff/cases/", {"page": "9"}).content.decode()
    assert past_the_end.count('href="/staff/cases/c/QR') == 5 and "第 3 / 3 页" in past_the_end
    junk = client.get("/staff/cases/", {"page": "x"}).content.decode()
    assert junk.count('href="/staff/cases/c/QR') == 20 and "第 1 / 3 页" in junk
