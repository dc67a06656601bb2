"""The workcal app against a database: official sync, overrides, regions, signal, cache, command, admin."""

import json
import os
import subprocess
import sys
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from tests.factories import UserFactory, make_region
from xiaoneng.workcal.models import (
    CalendarChange,
    CalendarDay,
    CalendarVersion,
    CalendarYear,
    DayKind,
    DaySource,
)
from xiaoneng.workcal.selectors import UnknownRegion, get_calendar
from xiaoneng.workcal.services import clear_override, confirm_year, set_override, sync_official
from xiaoneng.workcal.signals import calendar_changed
from xiaoneng.workcal.worktime import SHANGHAI

pytestmark = pytest.mark.django_db

D = date.fromisoformat


def sh(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SHANGHAI)


@pytest.fixture
def regions():
    city = make_region("330100000000", "测试市", "city")
    county = make_region("330122000000", "测试县", "county", city)
    township = make_region("330122100000", "城关镇", "township", county)
    other = make_region("330127000000", "邻县", "county", city)
    return city, county, township, other


@pytest.fixture
def officer():
    return UserFactory(username="calendar_admin")


@pytest.fixture
def changes():
    received = []

    def receiver(sender, dates, region_code, **kwargs):
        received.append((list(dates), region_code))

    calendar_changed.connect(receiver, dispatch_uid="test_workcal_changes")
    yield received
    calendar_changed.disconnect(dispatch_uid="test_workcal_changes")


# --- official schedule -----------------------------------------------------------------------------------------


def test_migration_seeded_the_official_schedule():
    cal = get_calendar()
    assert not cal.is_workday(D("2025-10-08"))
    assert cal.is_workday(D("2025-09-28"))  # 调休 Sunday
    assert cal.is_confirmed(D("2026-06-01"))
    assert not cal.is_confirmed(D("2027-01-04"))


def test_sync_is_idempotent_and_repairs_official_rows(changes):
    first = sync_official()
    assert not first.changed and first.created == first.updated == first.removed == 0
    assert 2025 in first.years and 2026 in first.years
    count = CalendarDay.objects.count()

    CalendarDay.objects.filter(date__year=2025, date__month=10).delete()  # lost rows
    CalendarDay.objects.filter(date=D("2025-09-28")).update(kind=DayKind.HOLIDAY)  # corrupted row
    CalendarDay.objects.create(
        date=D("2025-03-03"), kind=DayKind.HOLIDAY, source=DaySource.OFFICIAL
    )  # stale row
    result = sync_official([2025])
    assert (result.created, result.updated, result.removed) == (9, 1, 1)  # Oct 1–8 + Oct 11
    assert D("2025-03-03") in result.changed_dates and D("2025-09-28") in result.changed_dates
    assert CalendarDay.objects.count() == count
    assert changes == [(result.changed_dates, None)]

    again = sync_official([2025])
    assert not again.changed
    assert len(changes) == 1  # nothing changed, no signal
    assert get_calendar().is_workday(D("2025-09-28"))
    assert get_calendar().is_workday(D("2025-03-03"))


def test_sync_never_overwrites_overrides(officer):
    set_override(D("2025-10-08"), DayKind.WORKDAY, "县政府通知：10月8日正常上班", officer)
    result = sync_official([2025])
    assert result.kept_overrides == 1 and not result.changed
    row = CalendarDay.objects.get(date=D("2025-10-08"), region=None)
    assert (row.kind, row.source) == (DayKind.WORKDAY, DaySource.OVERRIDE)


def test_sync_of_an_unknown_year_changes_nothing():
    result = sync_official([2099])
    assert result.years == [] and result.missing_years == [2099] and not result.changed
    assert not CalendarYear.objects.filter(year=2099).exists()


# --- overrides -------------------------------------------------------------------------------------------------


def test_national_override_wins_and_is_recorded(officer, changes):
    before = get_calendar()
    assert not before.is_workday(D("2025-10-08"))
    row = set_override(D("2025-10-08"), DayKind.WORKDAY, "更正：10月8日上班", officer)
    assert (row.source, row.changed_by, row.reason) == (DaySource.OVERRIDE, officer, "更正：10月8日上班")
    after = get_calendar()
    assert after is not before
    assert after.is_workday(D("2025-10-08"))
    assert after.due_after(sh("2025-09-30 10:00"), 1) == sh("2025-10-08 17:30")
    change = CalendarChange.objects.get()
    assert (change.old_kind, change.old_source, change.new_kind, change.new_source) == (
        DayKind.HOLIDAY,
        DaySource.OFFICIAL,
        DayKind.WORKDAY,
        DaySource.OVERRIDE,
    )
    assert change.changed_by == officer and change.reason == "更正：10月8日上班"
    assert changes == [([D("2025-10-08")], None)]

    restored = clear_override(D("2025-10-08"), "撤销更正", officer)
    assert (restored.kind, restored.source) == (DayKind.HOLIDAY, DaySource.OFFICIAL)
    assert not get_calendar().is_workday(D("2025-10-08"))
    assert CalendarChange.objects.count() == 2
    assert changes[-1] == ([D("2025-10-08")], None)


def test_override_needs_a_valid_kind_and_a_reason(officer):
    with pytest.raises(ValueError, match="reason"):
        set_override(D("2025-10-08"), DayKind.WORKDAY, "  ", officer)
    with pytest.raises(ValueError, match="kind"):
        set_override(D("2025-10-08"), "weekend", "x", officer)
    with pytest.raises(UnknownRegion):
        set_override(D("2025-10-08"), DayKind.WORKDAY, "x", officer, region="999999999999")
    assert not CalendarChange.objects.exists()


def test_region_override_only_affects_that_region_and_its_subtree(regions, officer, changes):
    city, county, township, other = regions
    typhoon = D("2025-09-29")  # a Monday
    set_override(typhoon, DayKind.HOLIDAY, "台风停工", officer, region=county.code)
    assert changes == [([typhoon], county.code)]
    assert not get_calendar(county.code).is_workday(typhoon)
    assert not get_calendar(township.code).is_workday(typhoon)  # subtree
    assert get_calendar(city.code).is_workday(typhoon)
    assert get_calendar(other.code).is_workday(typhoon)
    assert get_calendar().is_workday(typhoon)
    # the most specific region wins
    set_override(typhoon, DayKind.WORKDAY, "城关镇照常上班", officer, region=township)
    assert get_calendar(township.code).is_workday(typhoon)
    assert not get_calendar(county.code).is_workday(typhoon)
    # a regional override beats a national override too
    set_override(typhoon, DayKind.WORKDAY, "全国调整", officer)
    assert not get_calendar(county.code).is_workday(typhoon)
    # clearing a regional override deletes the row
    assert clear_override(typhoon, "台风已过", officer, region=county) is None
    assert get_calendar(county.code).is_workday(typhoon)


def test_unknown_region():
    with pytest.raises(UnknownRegion):
        get_calendar("999999999999")


def test_confirm_year_entered_by_an_administrator(officer):
    set_override(D("2027-01-01"), DayKind.HOLIDAY, "2027年元旦（国办通知）", officer)
    cal = get_calendar()
    assert not cal.is_workday(D("2027-01-01")) and not cal.is_confirmed(D("2027-01-01"))
    confirm_year(2027, officer, "国办发明电〔2026〕号")
    assert get_calendar().is_confirmed(D("2027-01-01"))


# --- cache -----------------------------------------------------------------------------------------------------


def test_cache_is_reused_and_invalidated_by_another_process():
    cal = get_calendar()
    assert get_calendar() is cal
    # Another process changes rows without signals and replaces the token: this process must notice.
    CalendarDay.objects.filter(date=D("2025-10-08"), region=None).update(kind=DayKind.WORKDAY)
    assert get_calendar() is cal  # no new token yet
    CalendarVersion.objects.filter(pk=1).update(token="from-another-process")
    assert get_calendar().is_workday(D("2025-10-08"))


def test_saving_a_row_directly_bumps_the_version():
    token = CalendarVersion.objects.get().token
    CalendarDay.objects.create(date=D("2025-07-01"), kind=DayKind.HOLIDAY)
    assert CalendarVersion.objects.get().token != token
    assert not get_calendar().is_workday(D("2025-07-01"))


def test_office_hours_come_from_settings(settings):
    settings.XN_OFFICE_HOURS = "09:00-17:00"
    cal = get_calendar()
    assert cal.seconds_per_day == 8 * 3600
    assert cal.close_of_day(D("2025-09-29")) == sh("2025-09-29 17:00")
    settings.XN_OFFICE_HOURS = "17:00-09:00"
    with pytest.raises(ImproperlyConfigured, match="XN_OFFICE_HOURS"):
        get_calendar()


# --- management command ----------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Friday before National Day + Mid-Autumn 2025: 调休 Sun Sep 28, Mon 29, Tue 30, Thu Oct 9, Fri Oct 10
        (
            ["--accepted-at", "2025-09-26T10:00:00+08:00", "--days", "5"],
            "2025-10-10T17:30:00+08:00 confirmed",
        ),
        # naive timestamps are Asia/Shanghai; UTC input is converted
        (["--accepted-at", "2025-09-26 10:00", "--days", "1"], "2025-09-28T17:30:00+08:00 confirmed"),
        (["--accepted-at", "2025-09-30T16:30:00Z", "--days", "1"], "2025-10-09T17:30:00+08:00 confirmed"),
        # accepted on the 调休 Saturday Oct 11: the acceptance day is not counted
        (
            ["--accepted-at", "2025-10-11T09:15:00+08:00", "--days", "1"],
            "2025-10-13T17:30:00+08:00 confirmed",
        ),
        # natural days landing in the holiday move to the next working day
        (
            ["--accepted-at", "2025-09-26T10:00:00+08:00", "--days", "5", "--unit", "natural"],
            "2025-10-09T17:30:00+08:00 confirmed",
        ),
        # 即办件 accepted after office hours
        (
            ["--accepted-at", "2025-09-29T18:05:00+08:00", "--days", "0"],
            "2025-09-29T18:05:00+08:00 confirmed",
        ),
        # a year unknown to the package: computed Monday–Friday, flagged
        (
            ["--accepted-at", "2026-12-30T10:00:00+08:00", "--days", "3"],
            "2027-01-04T17:30:00+08:00 unconfirmed (no official schedule for 2027)",
        ),
    ],
)
def test_command_due(args, expected):
    assert run("due", *args) == expected


def test_command_due_json_for_an_unknown_year():
    data = json.loads(run("due", "--accepted-at", "2026-12-31T16:00:00+08:00", "--days", "2", "--json"))
    assert data == {
        "accepted_at": "2026-12-31T16:00:00+08:00",
        "days": 2,
        "unit": "workday",
        "region": None,
        "clock_start": "2027-01-01T08:30:00+08:00",
        "due": "2027-01-04T17:30:00+08:00",
        "confirmed": False,
        "unconfirmed_years": [2027],
    }


def test_command_due_with_a_region(regions, officer):
    city, county, township, other = regions
    set_override(D("2025-09-28"), DayKind.HOLIDAY, "台风停工", officer, region=county)
    args = ["due", "--accepted-at", "2025-09-26T10:00:00+08:00", "--days", "1"]
    assert run(*args, "--region", township.code) == "2025-09-29T17:30:00+08:00 confirmed"
    assert run(*args, "--region", other.code) == "2025-09-28T17:30:00+08:00 confirmed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accepted-at", "not-a-time", "--days", "3"], "invalid ISO 8601"),
        (["--accepted-at", "2025-09-26T10:00", "--days", "-1"], "must not be negative"),
        (["--accepted-at", "2025-09-26T10:00", "--days", "three"], "non-negative integer"),
        (["--accepted-at", "2025-09-26T10:00", "--days", "3", "--unit", "hours"], "unit must be"),
        (["--accepted-at", "2025-09-26T10:00", "--days", "3", "--region", "999999999999"], "unknown region"),
        (["--accepted-at", "9999-12-31T10:00", "--days", "3"], "cannot compute"),
    ],
)
def test_command_due_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run("due", *args)


def test_command_check():
    assert run("check", "--from", "2025-09-01") == "ok: every date from 2025-09-01 to 2025-10-31 is confirmed"
    out = StringIO()
    with pytest.raises(CommandError, match="2027") as excinfo:
        call_command("calendar", "check", "--from", "2026-11-15", "--days", "60", "--json", stdout=out)
    assert excinfo.value.returncode == 1
    report = json.loads(out.getvalue())
    assert report["unconfirmed_years"] == [2027] and report["first_unconfirmed_date"] == "2027-01-01"
    assert report["ok"] is False
    assert json.loads(run("check", "--from", "2026-06-01", "--json"))["ok"] is True


def test_command_sync():
    assert "created 0, updated 0, removed 0" in run("sync", "--year", "2025", "--year", "2026")
    CalendarDay.objects.filter(date__year=2026, date__month=2).delete()
    assert "synced years: 2026; created 11" in run("sync", "--year", "2026")  # Feb 14–23 and Feb 28
    with pytest.raises(CommandError, match="nothing to sync"):
        run("sync", "--year", "2099")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["due", "--accepted-at", "yesterday", "--days", "3"], "invalid ISO 8601 timestamp"),
        (["due", "--accepted-at", "2025-09-26T10:00", "--days", "-2"], "must not be negative"),
    ],
)
def test_command_line_errors_are_one_line_without_traceback(tmp_path, args, message):
    env = {**os.environ, "XN_DATA_DIR": str(tmp_path)}
    cli = os.path.join(os.path.dirname(sys.executable), "xiaoneng")
    proc = subprocess.run([cli, "calendar", *args], capture_output=True, text=True, env=env, timeout=180)  # noqa: S603
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "CommandError" in line]
    assert len(errors) == 1 and message in errors[0]


# --- admin -----------------------------------------------------------------------------------------------------


def test_admin_add_goes_through_the_service(client, changes):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/workcal/calendarday/add/",
        {"date": "2025-10-08", "kind": DayKind.WORKDAY, "region": "", "reason": "后台更正"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = CalendarDay.objects.get(date=D("2025-10-08"), region=None)
    assert (row.kind, row.source, row.changed_by) == (DayKind.WORKDAY, DaySource.OVERRIDE, admin)
    assert CalendarChange.objects.get().changed_by == admin
    assert changes == [([D("2025-10-08")], None)]
    assert client.get("/admin/workcal/calendarday/").status_code == 200
