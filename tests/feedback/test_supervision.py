"""Feedback items are swept by the supervision engine like cases: cards per (subject, step, rule, level)."""

from datetime import timedelta

from xiaoneng.feedback import services
from xiaoneng.feedback.models import ComplaintType
from xiaoneng.org.models import Post
from xiaoneng.supervision.models import Alert
from xiaoneng.supervision.services import sweep

from .conftest import at

S = timedelta(seconds=1)


def cards(subject_type):
    return set(Alert.objects.filter(subject_type=subject_type).values_list("step", "rule", "level"))


def test_sweep_raises_complaint_cards_at_thresholds(world):
    c = services.submit_complaint(type=ComplaintType.ATTITUDE, target="department", description="d",
                                  phone="13900139000", target_department=world.county.a.department,
                                  now=at(2026, 9, 29, 10))
    yellow = at(2026, 10, 13, 17, 30) + S  # accept due 12 Oct 17:30, +1 wd +1 s (across National Day)
    sweep(now=yellow - S)
    assert cards("complaint") == {("accept", "complaint", "warning")}
    sweep(now=yellow)
    assert cards("complaint") == {("accept", "complaint", "warning"), ("accept", "complaint", "yellow")}
    alert = Alert.objects.get(subject_type="complaint", level="yellow")
    assert (alert.subject_id, alert.department_id, alert.due_at, alert.subject_no) == (
        c.pk, world.county.a.department.pk, yellow, c.receipt_no)
    sweep(now=yellow)  # idempotent
    assert Alert.objects.filter(subject_type="complaint").count() == 2


def test_late_close_raises_its_cards_without_a_sweep(world):
    a = world.county.a
    c = services.submit_consultation(department=a.department, question="q", asker_name="n", phone="13800138000",
                                     now=at(2026, 11, 2, 9))  # due Thu 5 Nov 17:30; red Mon 9 Nov 17:30:01
    services.reply_consultation(c, user=a.staff[Post.ACCEPTOR], reply="r", now=at(2026, 11, 10, 9))
    assert cards("consultation") == {("reply", "consultation", lvl) for lvl in ("warning", "yellow", "red")}
    assert set(Alert.objects.filter(subject_type="consultation").values_list("case_id", flat=True)) == {None}


def test_bad_rating_cards_link_the_case_and_stop_when_removed(world):
    a = world.county.a
    r = services.submit_rating(case=world.decided, channel="online", level=1, now=at(2026, 11, 2, 9))
    sweep(now=at(2026, 11, 9, 17, 30) + S)  # rectification due 9 Nov 17:30 passed
    assert cards("rating") == {("rectify", "rectification", "warning"), ("rectify", "rectification", "yellow")}
    assert set(Alert.objects.filter(subject_type="rating").values_list("case_id", flat=True)) == {world.decided.pk}
    r = services.appeal_rating(r, user=a.staff[Post.LEADER], reason="恶意", now=at(2026, 11, 10, 9))
    services.decide_appeal(r, user=world.county.supervisor, uphold=True, note="恶意评价",
                           now=at(2026, 11, 10, 10))
    sweep(now=at(2026, 11, 20, 9))
    assert ("rectify", "rectification", "red") not in cards("rating")
