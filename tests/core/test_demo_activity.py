"""The demo activity: three months of cases, cards, feedback and a published evaluation on the demo county."""

from datetime import timedelta

import pytest
from django.db.models import F

from xiaoneng.cases.models import Case, CaseEvent, CaseStatus, Channel
from xiaoneng.core import demo, demo_activity
from xiaoneng.evaluation.models import Score
from xiaoneng.feedback.models import BadRatingStage, Complaint, Consultation, Rating
from xiaoneng.org.models import User
from xiaoneng.supervision.models import Accountability, Alert, AlertStatus, SupervisionOrder
from xiaoneng.workbench import inbox
from xiaoneng.workbench.access import actor_for


def _counts():
    return {model.__name__: model.objects.count()
            for model in (Case, CaseEvent, Alert, SupervisionOrder, Consultation, Complaint, Rating, Score)}


@pytest.mark.django_db
def test_demo_activity_makes_a_believable_county_once():
    demo.build()
    stats = demo_activity.build_activity()
    assert not stats.skipped
    assert 350 <= stats.cases == Case.objects.count()

    # cases in every stage of their life, through every channel
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.SUBMITTED, CaseStatus.CORRECTION, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED,
            CaseStatus.DECIDED, CaseStatus.DELIVERED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN} <= statuses
    assert set(Case.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert Case.objects.filter(channel=Channel.AGENT, agent__username="agent_dongcun").exists()
    assert Case.objects.filter(status=CaseStatus.DELIVERED).count() > Case.objects.count() / 2
    assert {"warning", "yellow", "red"} <= set(Case.objects.filter(status=CaseStatus.ACCEPTED)
                                               .values_list("clock_state", flat=True))
    assert Case.objects.filter(extended_days__gt=0).exists()

    # events were reported as they happened: exactly one late report
    late = CaseEvent.objects.filter(received_at__gt=F("occurred_at") + timedelta(hours=24))
    assert late.count() == 1

    # cards of every level, the planted irregularities, one revoked after appeal, one closed by an order
    assert {"warning", "yellow", "red"} <= set(Alert.objects.values_list("level", flat=True))
    rules = set(Alert.objects.values_list("rule", flat=True))
    assert {"case_limit", "step_limit", "illegal_fee", "procedure_violation", "late_report", "off_system"} <= rules
    assert Alert.objects.filter(status=AlertStatus.REVOKED).count() == 1
    order = SupervisionOrder.objects.get()
    assert order.status == "accountability" and order.reply
    assert Accountability.objects.filter(order=order).exists()

    # every demo clerk, reviewer, decider and notifier has work waiting
    def actor(username):
        return actor_for(User.objects.get(username=username))

    for dept in ("scj", "zjj", "cgz"):
        assert inbox.pending_acceptance(actor(f"clerk_{dept}")).exists(), dept
        assert inbox.pending_delivery(actor(f"notifier_{dept}")).exists(), dept
        assert inbox.step_queryset(actor(f"decider_{dept}")).exists(), dept
    for username in ("reviewer_scj", "reviewer2_scj", "reviewer2_zjj", "reviewer_cgz"):
        assert inbox.step_queryset(actor(username)).exists(), username

    # feedback: answered and open consultations, a complaint about a case, a 差评 handled to the end
    assert {"replied", "received"} <= set(Consultation.objects.values_list("status", flat=True))
    assert Complaint.objects.filter(case__isnull=False, case_verified=True, status="resolved").exists()
    assert Rating.objects.filter(is_bad=True, stage=BadRatingStage.DONE).exists()
    assert Rating.objects.filter(is_bad=False).count() > 50

    # evaluation published: a ranking for the public
    published = Score.objects.filter(published=True)
    assert published.exists() and published.filter(rank=1).exists()

    # a second run writes nothing
    counts = _counts()
    again = demo_activity.build_activity()
    assert again.skipped
    assert _counts() == counts
