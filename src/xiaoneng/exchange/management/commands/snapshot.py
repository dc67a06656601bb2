"""``xiaoneng snapshot --cutoff TS --out DIR``: a frozen, checksummed extract for assessment (数据截取)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.exchange.management.commands._timearg import parse_time
from xiaoneng.exchange.snapshot import make_snapshot


class Command(BaseCommand):
    help = "Write every case and event received up to the cut-off as CSV with a checksummed manifest."

    def add_arguments(self, parser):
        parser.add_argument("--cutoff", required=True, help="RFC 3339 or YYYY-MM-DD[ HH:MM[:SS]] (Beijing time)")
        parser.add_argument("--out", required=True, help="output directory")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        cutoff = parse_time(opts["cutoff"], end_of_day=True)
        if cutoff is None:
            raise CommandError(f"bad --cutoff: {opts['cutoff']!r}")
        manifest = make_snapshot(cutoff, Path(opts["out"]))
        if opts["json"]:
            self.stdout.write(json.dumps(manifest, ensure_ascii=False))
        else:
            for name, info in manifest["files"].items():
                self.stdout.write(f"{name}: {info['rows']} rows, sha256 {info['sha256']}")
