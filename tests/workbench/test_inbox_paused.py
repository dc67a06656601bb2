"""Inbox rows of a paused case clock show "暂停计时" instead of a countdown; B岗 rows name the holder."""

import pytest

from tests.workbench.conftest import fresh, linked, sh
from xiaoneng.cases.models import CaseStep
from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.workbench import inbox as ib
from xiaoneng.workbench.access import actor_for

pytestmark = pytest.mark.django_db


def _row(html: str, case) -> str:
    start = html.index(linked(case))
    return html[start : html.index("</tr>", start)]


def test_paused_case_shows_paused_instead_of_days_left(world, desk, travel):
    a = world.a
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    reviewer = a.staff[Post.REVIEWER1]
    travel.to(sh("2026-11-03T10:00:00"))
    desk.as_(reviewer)
    row = _row(desk.get("/staff/cases/").content.decode(), case)
    assert "剩余" in row and "暂停计时" not in row
    desk.act(case, "special-start", {"reason": "testing", "workdays": "2", "note": "送检"})
    assert fresh(case).clock_state == "suspended"
    travel.to(sh("2026-11-05T10:00:00"))
    row = _row(desk.get("/staff/cases/").content.decode(), case)
    assert "暂停计时" in row and "剩余" not in row and "已超期" not in row


def test_substitute_rows_name_the_away_holder(world, desk, travel):
    a = world.a
    travel.to(sh("2026-11-02T10:00:00"))
    case = desk.as_(a.staff[Post.ACCEPTOR]).register(a.version)
    desk.act(case, "accept")
    holder = a.staff[Post.REVIEWER1]
    PostAssignment.objects.filter(user=holder, post=Post.REVIEWER1).update(
        away_from=sh("2026-11-01T00:00:00"), away_until=sh("2026-11-06T00:00:00"))
    steps = CaseStep.objects.filter(case=case, status="active").select_related("case")
    now = sh("2026-11-02T11:00:00")
    rows = ib.annotate_steps(steps, now, ib.Calendars(), actor_for(world.substitute))
    assert [r["acting_for"] for r in rows] == [holder.display_name]
    rows = ib.annotate_steps(steps, now, ib.Calendars(), actor_for(holder))
    assert [r["acting_for"] for r in rows] == [""]
    assert ib.annotate_steps(steps, now, ib.Calendars())[0]["acting_for"] == ""
