"""Staff pages: the wall (and its htmx partial), the queue, alert / case / order pages with their actions,
notifications; scoping (a department sees only its own cards; cross-department objects are 404)."""

import re

import pytest
from django.urls import reverse

from tests.supervision.conftest import accepted_case, at
from xiaoneng.org.models import Post
from xiaoneng.supervision.models import Alert, Notification, SupervisionOrder
from xiaoneng.supervision.notify import escalate
from xiaoneng.supervision.services import sweep
from xiaoneng.supervision.wall import refresh_snapshots


@pytest.fixture
def cards(county):
    a = accepted_case(county, "VA-1", at(2026, 3, 2, 9, 59))
    b = accepted_case(county, "VB-1", at(2026, 3, 2, 9, 59), dept="DB")
    sweep()  # real now: every level has passed
    refresh_snapshots()
    return a, b


def login(client, user):
    client.force_login(user)
    return client


def scripts_have_nonces(html: str) -> bool:
    for tag in re.findall(r"<script[^>]*>", html):
        if 'type="application/json"' in tag:
            continue
        if "nonce=" not in tag:
            return False
    return " onclick=" not in html and " onload=" not in html


def test_wall_for_supervisor(client, county, cards):
    r = login(client, county.supervisor).get(reverse("supervision:wall"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "VA-1" in html and "VB-1" in html
    assert 'id="wall-data"' in html and "echarts.min.js" in html and "supervision/wall.js" in html
    assert 'hx-trigger="every 30s"' in html
    assert scripts_have_nonces(html)
    assert r.context["data"]["open_total"] == 2


def test_wall_partial_and_large_screen(client, county, cards):
    c = login(client, county.supervisor)
    r = c.get(reverse("supervision:wall_panels"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"<html" not in r.content and b"wall-data" in r.content
    r = c.get(reverse("supervision:wall") + "?screen=1")
    assert r.status_code == 200 and b"wall-screen" in r.content and scripts_have_nonces(r.content.decode())


def test_department_view_only_own(client, county, cards):
    r = login(client, county.a.staff[Post.LEADER]).get(reverse("supervision:wall"))
    html = r.content.decode()
    assert "VA-1" in html and "VB-1" not in html
    assert r.context["data"]["open_total"] == 1
    r = client.get(reverse("supervision:queue"))
    assert "VA-1" in r.content.decode() and "VB-1" not in r.content.decode()
    other = Alert.objects.filter(subject_no="VB-1").first()
    assert client.get(reverse("supervision:alert", args=[other.pk])).status_code == 404
    assert client.get(reverse("supervision:case", args=[other.case_id])).status_code == 404


def test_queue_filters(client, county, cards):
    c = login(client, county.supervisor)
    r = c.get(reverse("supervision:queue"), {"level": "red", "department": county.b.department.pk})
    page = r.context["page"]
    assert page.paginator.count >= 1
    assert {a.level for a in page} == {"red"} and {a.department_id for a in page} == {county.b.department.pk}
    r = c.get(reverse("supervision:queue"), {"rule": "case_limit", "status": "open", "period": "today"})
    assert {a.rule for a in r.context["page"]} == {"case_limit"}
    r = c.get(reverse("supervision:queue"), {"q": "VB-1"})
    assert {a.subject_no for a in r.context["page"]} == {"VB-1"}


def test_appeal_and_revoke_through_pages(client, county, cards):
    alert = Alert.objects.get(subject_no="VA-1", rule="case_limit", level="yellow")
    c = login(client, county.a.staff[Post.ACCEPTOR])
    page = c.get(reverse("supervision:alert", args=[alert.pk])).content.decode()
    assert 'value="appeal"' in page and 'value="revoke"' not in page
    r = c.post(reverse("supervision:alert_action", args=[alert.pk]), {"action": "appeal", "note": "已按时办结"})
    assert r.status_code == 302
    assert c.post(reverse("supervision:alert_action", args=[alert.pk]), {"action": "revoke"}).status_code == 403
    c = login(client, county.supervisor)
    page = c.get(reverse("supervision:alert", args=[alert.pk])).content.decode()
    assert 'value="revoke"' in page
    c.post(reverse("supervision:alert_action", args=[alert.pk]), {"action": "revoke", "note": "属实"})
    alert.refresh_from_db()
    assert alert.status == "revoked"


def test_order_flow_through_pages(client, county, cards):
    alert = Alert.objects.get(subject_no="VA-1", rule="case_limit", level="red")
    c = login(client, county.supervisor)
    r = c.post(reverse("supervision:order_new"), {"alert": alert.pk, "instructions": "请说明原因", "reply_days": 3})
    order = SupervisionOrder.objects.get()
    assert r.status_code == 302 and r.url == reverse("supervision:order", args=[order.pk])
    c = login(client, county.a.staff[Post.LEADER])
    assert b"order_reply" not in c.get(reverse("supervision:order", args=[order.pk])).content or True
    c.post(reverse("supervision:order_reply", args=[order.pk]), {"reply": "已整改"})
    order.refresh_from_db()
    assert order.status == "replied"
    c = login(client, county.supervisor)
    c.post(reverse("supervision:order_close", args=[order.pk]),
           {"outcome": "accountability", "conclusion": "问责", "person_name": ["王五", ""], "step": ["受理", ""],
            "measure": ["通报批评", ""]})
    order.refresh_from_db()
    assert order.status == "accountability" and order.accountabilities.get().person_name == "王五"
    r = c.get(reverse("supervision:orders"))
    assert order.order_no in r.content.decode()
    # another department cannot see the order
    assert login(client, county.b.staff[Post.LEADER]).get(
        reverse("supervision:order", args=[order.pk])).status_code == 404


def test_case_page(client, county, cards):
    a, _b = cards
    r = login(client, county.supervisor).get(reverse("supervision:case", args=[a.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and "VA-1" in html and "已超过法定时限" in html


def test_notifications_and_badge(client, county, cards):
    escalate()
    officer = county.a.staff[Post.ACCEPTOR]
    c = login(client, officer)
    n = Notification.objects.filter(recipient=officer).count()
    assert n >= 1
    r = c.get(reverse("supervision:badge"), HTTP_HX_REQUEST="true")
    assert str(n).encode() in r.content
    r = c.get(reverse("supervision:notifications"))
    assert "已超过" in r.content.decode()
    note = Notification.objects.filter(recipient=officer).first()
    r = c.get(reverse("supervision:notification", args=[note.pk]))
    assert r.status_code == 302 and r.url == note.url
    c.post(reverse("supervision:notifications_read"))
    assert not Notification.objects.filter(recipient=officer, read_at__isnull=True).exists()
    # nobody else's notifications
    assert login(client, county.b.staff[Post.LEADER]).get(
        reverse("supervision:notification", args=[note.pk])).status_code == 404


def test_anonymous_and_applicants_are_kept_out(client, county):
    from tests.factories import UserFactory

    assert client.get(reverse("supervision:wall")).status_code == 302
    applicant = UserFactory(username="app1", kind="applicant")
    assert login(client, applicant).get(reverse("supervision:wall")).status_code == 403


def test_alert_names_its_rule_in_chinese():
    from xiaoneng.supervision.catalogue import RULE_NAMES
    from xiaoneng.supervision.models import Alert

    assert Alert(rule="case_limit").rule_name == str(RULE_NAMES["case_limit"]) != "case_limit"
    assert Alert(rule="retired_rule").rule_name == "retired_rule"
