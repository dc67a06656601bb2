"""``xiaoneng calendar``: sync the official schedule, check that it is known ahead, compute due instants.

xiaoneng calendar sync [--year Y ...]
xiaoneng calendar check [--days 60] [--from DATE] [--json]
xiaoneng calendar due --accepted-at TS --days N [--unit workday|natural] [--region CODE] [--json]
"""

import json
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xiaoneng.workcal.selectors import UnknownRegion, get_calendar
from xiaoneng.workcal.services import sync_official
from xiaoneng.workcal.worktime import UNITS


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"天数必须是非负整数 (days must be a non-negative integer): {value!r}") from None
    if number < 0:
        raise CommandError(f"天数不能为负数 (days must not be negative): {number}")
    return number


class Command(BaseCommand):
    help = "Working calendar (工作日历): sync the official schedule, check it, compute due instants."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{sync,check,due}")

        sync = sub.add_parser("sync", help="Seed or refresh the official schedule from chinesecalendar.")
        sync.add_argument(
            "--year", type=int, action="append", dest="years", help="Only this year (repeatable)."
        )

        check = sub.add_parser("check", help="Fail when dates ahead have no confirmed official schedule.")
        check.add_argument("--days", default="60", help="How many days ahead to check (default 60).")
        check.add_argument("--from", dest="start", default=None, help="First date to check (default today).")
        check.add_argument("--json", action="store_true", help="Machine-readable output.")

        due = sub.add_parser("due", help="Due instant of a limit counted from an acceptance instant.")
        due.add_argument(
            "--accepted-at", required=True, help="ISO 8601 instant; without offset: Asia/Shanghai."
        )
        due.add_argument("--days", required=True, help="Limit in days (0 = 即办件).")
        due.add_argument("--unit", default="workday", help="workday (default) or natural.")
        due.add_argument("--region", default=None, help="12-digit region code (default: national calendar).")
        due.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    # --- sync ---------------------------------------------------------------------------------------------

    def _sync(self, years=None, **options):
        result = sync_official(years)
        if result.missing_years:
            self.stderr.write(
                "chinesecalendar 未包含以下年度 (not covered by the package): "
                + ", ".join(map(str, result.missing_years))
            )
        self.stdout.write(
            f"synced years: {', '.join(map(str, result.years)) or '-'}; created {result.created}, "
            f"updated {result.updated}, removed {result.removed}, overrides kept {result.kept_overrides}"
        )
        if years and not result.years:
            raise CommandError("没有可同步的年度 (nothing to sync for the requested years)")

    # --- check --------------------------------------------------------------------------------------------

    def _check(self, days="60", start=None, json=False, **options):
        days = _non_negative_int(days)
        try:
            first = date.fromisoformat(start) if start else timezone.localdate()
        except ValueError:
            raise CommandError(f"日期格式无效 (invalid date, expected YYYY-MM-DD): {start!r}") from None
        last = first + timedelta(days=days)
        calendar = get_calendar()
        missing = calendar.unconfirmed_years_between(first, last)
        first_unconfirmed = None
        if missing:
            first_unconfirmed = max(first, date(missing[0], 1, 1))
        report = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "confirmed_years": sorted(calendar.confirmed_years),
            "unconfirmed_years": missing,
            "first_unconfirmed_date": first_unconfirmed.isoformat() if first_unconfirmed else None,
            "ok": not missing,
        }
        if json:
            self.stdout.write(_dumps(report))
        elif missing:
            self.stdout.write(
                f"unconfirmed years between {first} and {last}: {', '.join(map(str, missing))} "
                f"(first unconfirmed date {first_unconfirmed})"
            )
        else:
            self.stdout.write(f"ok: every date from {first} to {last} is confirmed")
        if missing:
            raise CommandError(
                f"{first_unconfirmed} 起的工作日历未确认：请录入 {', '.join(map(str, missing))} 年的放假安排并确认年度"
                f" (no confirmed schedule from {first_unconfirmed})",
                returncode=1,
            )

    # --- due ----------------------------------------------------------------------------------------------

    def _due(self, accepted_at, days, unit="workday", region=None, json=False, **options):
        days = _non_negative_int(days)
        if unit not in UNITS:
            raise CommandError(f"单位无效 (unit must be one of {', '.join(UNITS)}): {unit!r}")
        try:
            accepted = datetime.fromisoformat(accepted_at.strip())
        except ValueError:
            raise CommandError(f"时间格式无效 (invalid ISO 8601 timestamp): {accepted_at!r}") from None
        try:
            calendar = get_calendar(region)
        except UnknownRegion:
            raise CommandError(f"区划代码不存在 (unknown region code): {region!r}") from None
        if accepted.tzinfo is None:
            accepted = accepted.replace(tzinfo=calendar.tz)
        try:
            due = calendar.due_after(accepted, days, unit)
        except (ValueError, OverflowError) as exc:
            raise CommandError(f"无法计算到期时间 (cannot compute the due instant): {exc}") from None
        confirmed = calendar.confirmed_between(accepted, due)
        unconfirmed = calendar.unconfirmed_years_between(accepted, due)
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "accepted_at": accepted.astimezone(calendar.tz).isoformat(),
                        "days": days,
                        "unit": unit,
                        "region": region or None,
                        "clock_start": calendar.clock_start(accepted).isoformat(),
                        "due": due.isoformat(),
                        "confirmed": confirmed,
                        "unconfirmed_years": unconfirmed,
                    }
                )
            )
        else:
            line = f"{due.isoformat()} {'confirmed' if confirmed else 'unconfirmed'}"
            if unconfirmed:
                line += f" (no official schedule for {', '.join(map(str, unconfirmed))})"
            self.stdout.write(line)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
