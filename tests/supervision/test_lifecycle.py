"""Card lifecycle end to end: 待发 → confirm / dismiss; appeal → revoke / reject / escalate; 督办 → 反馈 → 纠错 / 问责;
the escalation ladder; notifications and outbound delivery with retries."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.supervision.conftest import accepted_case, at, ev, record
from xiaoneng.org.models import Post
from xiaoneng.supervision import channels
from xiaoneng.supervision.models import (
    Accountability,
    Alert,
    AlertTransition,
    Notification,
    OutboundMessage,
    RuleConfig,
    SupervisionOrder,
)
from xiaoneng.supervision.notify import deliver_outbound, escalate
from xiaoneng.supervision.services import close_order, issue_order, reply_order, sweep, transition


@pytest.fixture
def yellow(county):
    case = accepted_case(county, "LC-1", at(2026, 3, 2, 9, 59))
    sweep(now=at(2026, 3, 17))
    return Alert.objects.get(subject_id=case.pk, rule="case_limit", level="yellow")


def history(alert):
    return [(t.action, t.from_status, t.to_status) for t in alert.transitions.order_by("id") if t.action != "notify"]


def test_appeal_then_revoke(county, yellow):
    officer = county.a.staff[Post.ACCEPTOR]
    with pytest.raises(PermissionDenied):
        transition(yellow, "appeal", county.b.staff[Post.LEADER], "不是我们")  # another department
    with pytest.raises(ValidationError):
        transition(yellow, "appeal", officer, "")  # an appeal needs a reason
    transition(yellow, "appeal", officer, "系统时间错误，已于当日办结")
    with pytest.raises(PermissionDenied):
        transition(yellow, "revoke", officer, "")  # only a supervisor decides
    alert = transition(yellow, "revoke", county.supervisor, "核实属实")
    assert alert.status == "revoked" and not alert.counts
    assert history(alert) == [("appeal", "issued", "appealed"), ("revoke", "appealed", "revoked")]
    t = alert.transitions.get(action="revoke")
    assert t.actor == county.supervisor and t.note == "核实属实"
    assert Alert.objects.filter(pk=yellow.pk).exists()  # nothing deleted
    with pytest.raises(ValidationError):
        transition(alert, "appeal", officer, "again")


def test_appeal_rejected_or_escalated(county, yellow):
    officer = county.a.staff[Post.ACCEPTOR]
    transition(yellow, "appeal", officer, "理由")
    alert = transition(yellow, "reject", county.supervisor, "理由不成立")
    assert alert.status == "appeal_rejected" and alert.counts
    other = Alert.objects.get(subject_id=yellow.subject_id, rule="case_limit", level="warning")
    transition(other, "appeal", officer, "理由")
    assert transition(other, "escalate", county.supervisor, "报请上级").status == "escalated"


def test_supervisor_outside_region_cannot_act(county, yellow):
    from tests.factories import UserFactory, make_region
    from xiaoneng.org.models import Department, PostAssignment

    other_county = make_region("330127000000", "外县", "county")
    dept = Department.objects.create(code="WX-JC", name="外县监察局", region=other_county, kind="supervision")
    outsider = UserFactory(username="outsider", department=dept)
    PostAssignment.objects.create(user=outsider, department=dept, post=Post.SUPERVISOR)
    transition(yellow, "appeal", county.a.staff[Post.ACCEPTOR], "理由")
    with pytest.raises(PermissionDenied):
        transition(yellow, "revoke", outsider, "")


def test_pending_cards_need_confirmation(county):
    rule = RuleConfig.objects.get(code="case_limit")
    rule.issue_mode = "confirm"
    rule.save()  # invalidates the cached settings
    case = accepted_case(county, "LC-P", at(2026, 3, 2, 9, 59))
    sweep(now=at(2026, 3, 17))
    warning, yellow = (Alert.objects.get(subject_id=case.pk, rule="case_limit", level=lv) for lv in ("warning", "yellow"))
    assert warning.status == yellow.status == "pending" and not warning.counts
    assert warning.next_escalation_at is None
    with pytest.raises(PermissionDenied):
        transition(warning, "confirm", county.a.staff[Post.LEADER])
    assert transition(warning, "confirm", county.supervisor).status == "issued"
    assert transition(yellow, "dismiss", county.supervisor, "数据有误").status == "dismissed"
    assert escalate() >= 1  # confirmed now: the officer is notified at the next run
    assert Notification.objects.filter(alert=warning).exists()
    assert not Notification.objects.filter(alert=yellow).exists()


def test_order_reply_and_accountability(county, yellow):
    sup = county.supervisor
    leader = county.a.staff[Post.LEADER]
    with pytest.raises(PermissionDenied):
        issue_order(leader, department_id=yellow.department_id, instructions="x", alert=yellow)
    order = issue_order(sup, department_id=yellow.department_id, instructions="请说明超期原因并整改",
                        reply_days=3, alert=yellow, now=at(2026, 3, 17, 10))
    assert order.case_id == yellow.case_id and order.status == "open"
    assert order.reply_due == at(2026, 3, 20, 17, 30)
    assert {d["level"] for d in order.deadlines} == {"warning", "yellow", "red"}
    assert order.next_check_at == at(2026, 3, 20, 8, 30)  # 1 working day before the reply due
    assert Notification.objects.filter(recipient=leader, title__contains=order.order_no).exists()
    # the order is supervised itself: unanswered past its due → order_reply cards
    sweep(now=at(2026, 3, 23, 9))
    assert set(Alert.objects.filter(subject_type="order", subject_id=order.pk).values_list("level", flat=True)) == {
        "warning", "yellow"}
    with pytest.raises(PermissionDenied):
        reply_order(order, county.b.staff[Post.LEADER], "…")
    order = reply_order(order, leader, "已督促经办人办结，并开展内部通报", now=at(2026, 3, 23, 10))
    assert order.status == "replied" and order.next_check_at is None
    with pytest.raises(ValidationError):
        close_order(order, sup, corrected=False)  # accountability needs a person and a measure
    order = close_order(order, sup, corrected=False, conclusion="经核实，经办人无正当理由超期",
                        accountabilities=[{"person": county.a.staff[Post.ACCEPTOR], "person_name": "测试员",
                                           "step": "受理", "measure": "诫勉谈话"}], now=at(2026, 3, 24, 9))
    assert order.status == "accountability"
    acc = Accountability.objects.get(order=order)
    assert acc.measure == "诫勉谈话" and acc.recorded_by == sup
    yellow.refresh_from_db()
    assert yellow.status == "closed" and yellow.counts
    actions = list(AlertTransition.objects.filter(order=order).order_by("id").values_list("action", flat=True))
    assert actions == ["order", "reply", "accountability", "close"]
    sweep(now=at(2026, 4, 30))  # replied before the red threshold: no red card for the order
    assert not Alert.objects.filter(subject_type="order", subject_id=order.pk, level="red").exists()


def test_order_closed_as_corrected(county, yellow):
    order = issue_order(county.supervisor, department_id=yellow.department_id, instructions="请整改", alert=yellow,
                        now=at(2026, 3, 17, 10))
    reply_order(order, county.a.staff[Post.DEPT_ADMIN], "已整改")
    order = close_order(order, county.supervisor, corrected=True, conclusion="已纠正")
    assert order.status == "corrected"
    assert SupervisionOrder.objects.count() == 1


def test_escalation_ladder(county, yellow, settings):
    officer = county.a.staff[Post.ACCEPTOR]  # the running step is 受理 (acceptor)
    chief = county.a.staff[Post.SECTION_CHIEF]
    leader = county.a.staff[Post.LEADER]
    t0 = at(2026, 3, 17, 10)
    escalate(now=t0)
    for alert in Alert.objects.filter(subject_id=yellow.subject_id):
        assert alert.escalation_level == 1
    assert Notification.objects.filter(recipient=officer, alert=yellow).count() == 1
    assert not Notification.objects.filter(recipient=chief).exists()
    escalate(now=t0 + timedelta(hours=1))  # not yet: 1 working day
    assert not Notification.objects.filter(recipient=chief).exists()
    escalate(now=at(2026, 3, 18, 10))
    assert Notification.objects.filter(recipient=chief, alert=yellow).exists()
    escalate(now=at(2026, 3, 19, 10))
    assert not Notification.objects.filter(recipient=leader, alert=yellow).exists()  # 2 more working days
    escalate(now=at(2026, 3, 20, 10))
    assert Notification.objects.filter(recipient=leader, alert=yellow).exists()
    yellow.refresh_from_db()
    assert yellow.escalation_level == 3 and yellow.next_escalation_at is None
    notes = list(yellow.transitions.filter(action="notify").values_list("note", flat=True))
    assert len(notes) == 3 and "科室负责人" in notes[1]


def test_escalation_stops_when_appealed_or_subject_closed(county, yellow):
    escalate(now=at(2026, 3, 17, 10))
    transition(yellow, "appeal", county.a.staff[Post.ACCEPTOR], "理由")
    record([ev("LC-1", "decided", at(2026, 3, 17, 11), payload={"result": "approved"})],
           received_at=at(2026, 3, 17, 11, 1))
    escalate(now=at(2026, 3, 30))
    chief = county.a.staff[Post.SECTION_CHIEF]
    assert not Notification.objects.filter(recipient=chief).exists()


class Boom(channels.Channel):
    name = "boom"
    fail = True

    def address_for(self, user):
        return user.username

    def send(self, message):
        if Boom.fail:
            raise ConnectionError("gateway down")


def test_outbound_retries_and_never_loses(county, yellow, settings):
    channels.register("boom", Boom)
    settings.XN_NOTIFY_CHANNELS = ["boom"]
    escalate(now=at(2026, 3, 17, 10))
    msgs = OutboundMessage.objects.filter(channel="boom")
    assert msgs.exists()
    now = timezone.now()
    stats = deliver_outbound(now=now)
    assert stats["failed"] == msgs.count()
    m = msgs.first()
    assert m.status == "failed" and m.attempts == 1 and "gateway down" in m.last_error
    assert deliver_outbound(now=now + timedelta(seconds=30))["failed"] == 0  # backing off
    Boom.fail = False
    stats = deliver_outbound(now=now + timedelta(hours=1))
    assert stats["sent"] == msgs.count()
    assert set(msgs.values_list("status", flat=True)) == {"sent"}


def test_logging_channel_by_default(county, yellow, caplog):
    escalate(now=at(2026, 3, 17, 10))
    with caplog.at_level("INFO", logger="xiaoneng.notify"):
        stats = deliver_outbound()
    assert stats["sent"] >= 1
    assert "已超过承诺时限" in caplog.text


def test_smtp_channel(county, yellow, settings, mailoutbox):
    settings.XN_NOTIFY_CHANNELS = ["smtp"]
    officer = county.a.staff[Post.ACCEPTOR]
    officer.email = "officer@example.gov.cn"
    officer.save()
    escalate(now=at(2026, 3, 17, 10))
    deliver_outbound()
    assert [m.to for m in mailoutbox] == [["officer@example.gov.cn"]] * len(mailoutbox) and mailoutbox
    assert "办件编号为LC-1" in mailoutbox[0].body


def test_calendar_change_moves_an_open_order(county, yellow):
    from datetime import date

    from xiaoneng.workcal.services import set_override

    order = issue_order(county.supervisor, department_id=yellow.department_id, instructions="请整改", alert=yellow,
                        now=at(2026, 3, 17, 10))
    assert order.reply_due == at(2026, 3, 20, 17, 30)
    from xiaoneng.supervision.jobs import reproject_orders

    set_override(date(2026, 3, 19), "holiday", "临时停工")
    reproject_orders(county.county.code)
    order.refresh_from_db()
    assert order.reply_due == at(2026, 3, 23, 17, 30)
