"""Notifications: the in-app centre (``Notification``), outbound delivery (``OutboundMessage`` through
:mod:`.channels`, retried, never lost) and the escalation ladder of issued cards.

Ladder (domain-rules §3): an issued card notifies the handling officer at once (the holders of the post of the
case's running step — or of the card's step —, else the department's acceptors), then, while the card is still
issued and its subject still open, the section chief after ``escalation_days[0]`` working days and the
department leader after ``escalation_days[1]`` more. Appealed, revoked, dismissed and closed cards stop.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from . import channels, config, messages, subjects
from .models import Alert, AlertStatus, AlertTransition, Notification, OutboundMessage, OutboundStatus

logger = logging.getLogger("xiaoneng.supervision")

LADDER = ("officer", "section_chief", "leader")
LADDER_NAMES = {"officer": "经办人", "section_chief": "科室负责人", "leader": "部门领导"}
MAX_ATTEMPTS = 10
ESCALATING = (AlertStatus.ISSUED, AlertStatus.APPEAL_REJECTED)


def notify_users(users: Iterable, title: str, body: str, url: str = "", alert: Alert | None = None) -> list:
    users = [u for u in {u.pk: u for u in users if u is not None}.values()]
    if not users:
        return []
    notes = Notification.objects.bulk_create(
        [Notification(recipient=u, title=title[:200], body=body, url=url[:255], alert=alert) for u in users]
    )
    queue_outbound(notes, users)
    return notes


def queue_outbound(notes: Sequence[Notification], users: Sequence) -> None:
    by_user = {u.pk: u for u in users}
    rows = []
    now = timezone.now()
    for channel in channels.configured():
        for n in notes:
            user = by_user.get(n.recipient_id)
            address = channel.address_for(user) if user is not None else ""
            if not address:
                continue
            rows.append(OutboundMessage(notification=n if n.pk else None, channel=channel.name, recipient=user,
                                        address=address[:255], subject=n.title, body=n.body, next_attempt_at=now))
    if rows:
        OutboundMessage.objects.bulk_create(rows)


def post_holders(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], list]:
    """(department_id, post) -> users acting in it now (holders, or their B岗 while they are away)."""
    from xiaoneng.org.models import PostAssignment

    pairs = set(pairs)
    if not pairs:
        return {}
    out: dict[tuple[int, str], list] = defaultdict(list)
    now = timezone.now()
    qs = PostAssignment.objects.filter(is_active=True, department_id__in={d for d, _ in pairs},
                                       post__in={p for _, p in pairs}).select_related("user", "substitute")
    for pa in qs:
        key = (pa.department_id, pa.post)
        if key not in pairs:
            continue
        if pa.is_away(now) and pa.substitute is not None:
            out[key].append(pa.substitute)
        elif pa.user.is_active:
            out[key].append(pa.user)
    return out


def notify_department(department_id: int, title: str, body: str, url: str = "", alert: Alert | None = None):
    holders = post_holders({(department_id, "leader"), (department_id, "dept_admin")})
    users = [u for us in holders.values() for u in us]
    return notify_users(users, title, body, url, alert)


def _officer_posts(alerts: Sequence[Alert]) -> dict[int, set[tuple[int, str]]]:
    """alert id -> (department_id, post) of its handling officer(s)."""
    from xiaoneng.cases.models import CaseStep

    case_ids = {a.case_id for a in alerts if a.case_id}
    steps_by_case: dict[int, list[tuple]] = defaultdict(list)
    if case_ids:
        for cid, code, post, dept, status in CaseStep.objects.filter(case_id__in=case_ids).values_list(
            "case_id", "code", "post", "department_id", "status"
        ):
            steps_by_case[cid].append((code, post, dept, status))
    out: dict[int, set] = {}
    for a in alerts:
        steps = steps_by_case.get(a.case_id, []) if a.case_id else []
        chosen = [s for s in steps if a.step and s[0] == a.step] or [s for s in steps if s[3] == "active"]
        out[a.pk] = {(s[2], s[1]) for s in chosen} or {(a.department_id, "acceptor")}
    return out


def _still_open(alerts: Sequence[Alert]) -> set[int]:
    """Ids of alerts whose subject is still being handled (escalation continues only for those)."""
    open_ids: set[int] = set()
    by_type: dict[str, list[Alert]] = defaultdict(list)
    for a in alerts:
        by_type[a.subject_type].append(a)
    for subject_type, group in by_type.items():
        subject = subjects.get(subject_type)
        if subject is None:
            continue
        live = set(subject.model._default_manager.filter(subject.open_q(), id__in=[a.subject_id for a in group])
                   .values_list("id", flat=True))
        open_ids |= {a.pk for a in group if a.subject_id in live}
    return open_ids


def _calendar(region_code: str):
    from .services import _calendar as cal

    return cal(region_code)


def escalate(now: datetime | None = None, chunk: int = 500) -> int:
    """Notify the next rung of every issued card whose ``next_escalation_at`` passed. Returns notifications."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            qs = Alert.objects.filter(next_escalation_at__lte=now).order_by("next_escalation_at")
            if connection.vendor == "postgresql":
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            batch = list(qs[:chunk])
            if not batch:
                break
            officers = _officer_posts(batch)
            open_ids = _still_open(batch)
            pairs = set()
            for a in batch:
                pairs |= officers[a.pk]
                pairs |= {(a.department_id, "section_chief"), (a.department_id, "leader")}
            holders = post_holders(pairs)
            transitions = []
            for a in batch:
                if a.status not in ESCALATING or a.escalation_level >= len(LADDER):
                    a.next_escalation_at = None
                    continue
                if a.escalation_level > 0 and a.pk not in open_ids:
                    a.next_escalation_at = None  # the subject is done: stop climbing the ladder
                    continue
                rung = LADDER[a.escalation_level]
                if rung == "officer":
                    users = [u for pair in officers[a.pk] for u in holders.get(pair, [])]
                else:
                    users = holders.get((a.department_id, rung), [])
                title = messages.title(a.rule, a.level)
                if a.escalation_level:
                    title = f"{title}（升级至{LADDER_NAMES[rung]}）"
                url = f"/staff/supervision/alerts/{a.pk}/"
                sent += len(notify_users(users, title, a.message, url, a))
                a.escalation_level += 1
                transitions.append(AlertTransition(alert=a, from_status=a.status, to_status=a.status,
                                                   action="notify", at=now,
                                                   note=f"通知{LADDER_NAMES[rung]}：" +
                                                   ("、".join(u.display_name for u in users) or "（无在岗人员）")))
                intervals = config.setting(a.rule, a.department_id).escalation_days
                if a.escalation_level < len(LADDER) and len(intervals) >= a.escalation_level and a.pk in open_ids:
                    days = float(intervals[a.escalation_level - 1])
                    cal = _calendar(a.region_code)
                    a.next_escalation_at = cal.add_working_seconds(max(now, a.next_escalation_at or now),
                                                                   round(days * cal.seconds_per_day))
                else:
                    a.next_escalation_at = None
            Alert.objects.bulk_update(batch, ["escalation_level", "next_escalation_at"])
            AlertTransition.objects.bulk_create(transitions)
    return sent


def deliver_outbound(now: datetime | None = None, limit: int = 500) -> dict:
    """Send pending / failed outbound messages that are due; back-off on failure (never dropped)."""
    now = now or timezone.now()
    stats = {"sent": 0, "failed": 0}
    with transaction.atomic():
        qs = OutboundMessage.objects.filter(status__in=[OutboundStatus.PENDING, OutboundStatus.FAILED],
                                            next_attempt_at__lte=now).order_by("next_attempt_at")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        batch = list(qs[:limit])
        cache: dict[str, channels.Channel] = {}
        for m in batch:
            m.attempts += 1
            try:
                channel = cache.get(m.channel) or cache.setdefault(m.channel, channels.get(m.channel))
                channel.send(m)
            except Exception as exc:  # any gateway error: keep the message and retry later
                m.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if m.attempts >= MAX_ATTEMPTS:
                    m.status, m.next_attempt_at = OutboundStatus.GAVE_UP, None
                else:
                    m.status = OutboundStatus.FAILED
                    m.next_attempt_at = now + timedelta(minutes=min(2 ** m.attempts, 360))
                stats["failed"] += 1
            else:
                m.status, m.sent_at, m.next_attempt_at = OutboundStatus.SENT, now, None
                stats["sent"] += 1
        OutboundMessage.objects.bulk_update(batch, ["attempts", "status", "last_error", "next_attempt_at", "sent_at"])
    return stats


def retry(messages_qs) -> int:
    """Put given-up / failed messages back in the queue (admin action)."""
    return messages_qs.exclude(status=OutboundStatus.SENT).update(
        status=OutboundStatus.PENDING, next_attempt_at=timezone.now())
