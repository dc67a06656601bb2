"""Any saved or deleted calendar row (services, admin, shell) gives the calendar a new version token."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear
from .services import bump_version


@receiver([post_save, post_delete], sender=CalendarDay, dispatch_uid="workcal_bump_day")
@receiver([post_save, post_delete], sender=CalendarYear, dispatch_uid="workcal_bump_year")
def _bump(sender, raw=False, **kwargs):
    if not raw:  # fixtures loading rows bump nothing until they are all in; loaddata callers bump explicitly
        bump_version()
