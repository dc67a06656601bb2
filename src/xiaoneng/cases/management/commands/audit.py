"""``xiaoneng audit verify [--json]`` and ``xiaoneng audit digest [--day YYYY-MM-DD]``."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.cases import audit


class Command(BaseCommand):
    help = "Verify the tamper-evident case event log (hash chains, daily digests) or store a daily digest."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute every case's hash chain and every stored daily digest")
        verify.add_argument("--json", action="store_true", help="machine-readable output")
        digest = sub.add_parser("digest", help="store the daily digest of a day (default: every undigested day "
                                               "up to yesterday)")
        digest.add_argument("--day", help="YYYY-MM-DD")
        digest.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            return self._verify(options)
        return self._digest(options)

    def _verify(self, options):
        report = audit.verify_all()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(f"checked {report.cases} cases, {report.events} events, "
                              f"{report.digest_days} daily digests")
            for problem in report.problems:
                where = f" at seq {problem.seq}" if problem.seq is not None else ""
                self.stdout.write(f"ALTERED {problem.case_no}{where}: {problem.reason}")
            for day in report.digest_mismatches:
                self.stdout.write(f"DIGEST MISMATCH {day}")
            if report.ok:
                self.stdout.write(self.style.SUCCESS("all chains verify"))
        if not report.ok:
            raise SystemExit(1)

    def _digest(self, options):
        if options.get("day"):
            try:
                day = date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError(f"--day must be YYYY-MM-DD, not {options['day']!r}") from exc
            try:
                obj, created = audit.digest_day(day)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            matches = audit.compute_digest(day) == (obj.event_count, obj.digest)
            data = {"day": day.isoformat(), "event_count": obj.event_count, "digest": obj.digest,
                    "created": created, "matches": matches}
            if options["json"]:
                self.stdout.write(json.dumps(data))
            else:
                state = "stored" if created else ("already stored" if matches else "STORED DIGEST DIFFERS")
                self.stdout.write(f"{day}: {obj.event_count} events, {obj.digest} ({state})")
            if not matches:
                raise SystemExit(1)
            return
        created = audit.daily_digest()
        if options["json"]:
            self.stdout.write(json.dumps({"created": created}))
        else:
            self.stdout.write(f"{created} daily digests stored")
