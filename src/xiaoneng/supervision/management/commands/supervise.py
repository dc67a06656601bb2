"""``xiaoneng supervise --once [--now TS] [--json]``: run one supervision sweep (and, with ``--all``, the
escalation ladder, outbound delivery and the wall snapshot)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def parse_now(value: str):
    dt = parse_datetime(value)
    if dt is None:
        d = parse_date(value)
        if d is None:
            raise CommandError(f"--now: not an ISO 8601 date/time: {value!r}")
        from datetime import datetime, time

        dt = datetime.combine(d, time(0, 0))
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt, timezone.get_default_timezone())
    return dt


class Command(BaseCommand):
    help = "Run one supervision sweep: raise every card that fell due (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one sweep and exit (the default).")
        parser.add_argument("--now", help="Simulated time (ISO 8601; naive = Asia/Shanghai).")
        parser.add_argument("--limit", type=int, default=None, help="At most this many subjects.")
        parser.add_argument("--all", action="store_true",
                            help="Also run escalations, outbound delivery and the wall snapshot.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, once=False, now=None, limit=None, all=False, json=False, **options):  # noqa: A002
        from xiaoneng.supervision.services import sweep

        at = parse_now(now) if now else None
        if limit is not None and limit < 1:
            raise CommandError("--limit must be >= 1")
        result = sweep(now=at, limit=limit)
        data = result.as_dict()
        if all:
            from xiaoneng.supervision.notify import deliver_outbound, escalate
            from xiaoneng.supervision.wall import refresh_snapshots

            data["notifications"] = escalate(now=at)
            data["outbound"] = deliver_outbound()
            data["snapshots"] = refresh_snapshots()
        if json:
            self.stdout.write(_dumps(data))
        else:
            self.stdout.write(
                f"sweep at {data['now']}: {data['processed']} subjects, {data['alerts']} new cards "
                f"in {data['seconds']:.3f}s"
            )
            for key, n in sorted(data["raised"].items()):
                self.stdout.write(f"  {key}: {n}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
