"""Re-projection of case clocks when the working calendar changes (domain-rules §2)."""

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from xiaoneng.workcal.signals import calendar_changed

from .services import reproject_region


@receiver(calendar_changed, dispatch_uid="cases_reproject_on_calendar_change")
def _on_calendar_changed(sender, region_code=None, dates=None, **kwargs):
    # After commit: the new calendar is visible to every connection, and the (chunked) work does not lengthen
    # the transaction that changed the calendar. Outside a transaction this runs at once.
    transaction.on_commit(partial(reproject_region, region_code))
