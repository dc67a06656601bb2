"""``xiaoneng export-log --format xes|ocel --out FILE``: the event log for process-mining tools."""

import json
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.exchange.export import export_log
from xiaoneng.exchange.management.commands._timearg import parse_time


class Command(BaseCommand):
    help = "Export case events as IEEE XES or OCEL 2.0 JSON (streamed)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=["xes", "ocel"])
        parser.add_argument("--out", required=True)
        parser.add_argument("--from", dest="date_from", help="occurred at or after (date or RFC 3339)")
        parser.add_argument("--to", dest="date_to", help="occurred before (a bare date includes that day)")
        parser.add_argument("--department", help="department code")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        date_from = date_to = None
        if opts["date_from"]:
            date_from = parse_time(opts["date_from"])
            if date_from is None:
                raise CommandError(f"bad --from: {opts['date_from']!r}")
        if opts["date_to"]:
            date_to = parse_time(opts["date_to"], end_of_day=True)
            if date_to is None:
                raise CommandError(f"bad --to: {opts['date_to']!r}")
            date_to += timedelta(microseconds=1)
        n = export_log(opts["format"], Path(opts["out"]), date_from=date_from, date_to=date_to,
                       department=opts["department"])
        data = {"format": opts["format"], "out": opts["out"], "events": n}
        self.stdout.write(json.dumps(data) if opts["json"] else f"wrote {n} events to {opts['out']}")
