"""Re-projection of open feedback deadlines when the working calendar changes (domain-rules §2)."""

from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import COMPLAINT_CLOSED, Complaint, Consultation, ConsultationStatus, Rating


def open_items():
    """(model, Q) of the items whose deadlines are still being computed (closed items keep theirs)."""
    return [
        (Consultation, Q(status=ConsultationStatus.RECEIVED)),
        (Complaint, ~Q(status__in=COMPLAINT_CLOSED)),
        (Rating, Q(is_bad=True, removed=False, rectified_at__isnull=True)),
    ]


def reproject(region_code: str | None = None, now=None) -> int:
    """Recompute the deadlines of every open feedback item in ``region_code``'s subtree (None: everywhere)."""
    from xiaoneng.org.models import Region

    from . import services

    now = now or timezone.now()
    region_q = Q()
    if region_code:
        path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
        codes = list(Region.objects.filter(path__startswith=path).values_list("code", flat=True)) if path else []
        region_q = Q(region_code__in=codes or [region_code])
    n = 0
    for model, open_q in open_items():
        ids = list(model.objects.filter(open_q & region_q).values_list("id", flat=True))
        for start in range(0, len(ids), 500):
            with transaction.atomic():
                for obj in model.objects.select_for_update().filter(id__in=ids[start:start + 500]):
                    services.refresh(obj, now=now)
                    n += 1
    return n


def on_calendar_changed(sender=None, region_code=None, dates=None, **kwargs):
    transaction.on_commit(partial(reproject, region_code))
