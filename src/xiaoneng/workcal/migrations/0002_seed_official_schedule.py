"""Seed the national official schedule from chinesecalendar, so a fresh install has a working calendar.

Idempotent and safe to re-run; ``xiaoneng calendar sync`` refreshes it after a package upgrade.
"""

import uuid

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("workcal", "CalendarDay")
    CalendarYear = apps.get_model("workcal", "CalendarYear")
    CalendarVersion = apps.get_model("workcal", "CalendarVersion")
    wanted = {d: "holiday" for d in chinese_calendar.holidays}
    wanted.update({d: "workday" for d in chinese_calendar.workdays})
    existing = set(CalendarDay.objects.filter(region__isnull=True).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, kind=k, source="official") for d, k in sorted(wanted.items()) if d not in existing],
        batch_size=500,
    )
    years = {d.year for d in wanted}
    known = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="official", note="chinesecalendar") for y in sorted(years - known)]
    )
    CalendarVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


class Migration(migrations.Migration):
    dependencies = [("workcal", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
