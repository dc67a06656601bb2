"""``xiaoneng import FILE``: bulk import of historical cases (二次入录) from .xlsx or .csv."""

import json
import resource
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.core.runtime import tune_gc
from xiaoneng.exchange.importer import ImportFailed, import_workers, run_import
from xiaoneng.exchange.models import SourceSystem


class Command(BaseCommand):
    help = "Import historical cases from an Excel or CSV file (template: docs/import-template.md)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--system", help="source system code the cases belong to (default: the platform)")
        parser.add_argument("--report", help="write the row-by-row report to OUT.xlsx or OUT.csv")
        parser.add_argument("--resume", action="store_true", help="continue an interrupted import of this file")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes recording chunks at once on PostgreSQL (default: XN_IMPORT_WORKERS, "
                                 "else one per CPU up to 8; SQLite: 1)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        system = None
        if opts["system"]:
            system = SourceSystem.objects.filter(code=opts["system"]).first()
            if system is None:
                raise CommandError(f"unknown source system: {opts['system']}")
        report = Path(opts["report"]) if opts["report"] else None
        if report is not None and report.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError("--report must end in .xlsx or .csv")
        if opts["workers"] is not None and opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        workers = import_workers(opts["workers"])
        tune_gc()  # the forked chunk workers inherit it
        started = time.perf_counter()
        try:
            job = run_import(Path(opts["file"]), system=system, report_path=report, resume=opts["resume"],
                             user="cli", workers=workers)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        seconds = time.perf_counter() - started
        data = {
            "job": job.pk, "file": job.file_name, "sha256": job.checksum, "status": job.status,
            "rows": job.rows_total, "imported": job.rows_imported, "duplicate": job.rows_duplicate,
            "rejected": job.rows_rejected, "events_accepted": job.events_accepted,
            "workers": workers, "seconds": round(seconds, 2), "rows_per_second": round(job.rows_total / seconds, 1) if seconds else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_worker_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
            if workers > 1 else None,
            "report": str(report) if report else None,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self.stdout.write(
                f"import #{job.pk} {job.status}: {job.rows_total} rows — {job.rows_imported} imported, "
                f"{job.rows_duplicate} duplicate, {job.rows_rejected} rejected ({seconds:.1f} s, {workers} worker"
                f"{'s' if workers > 1 else ''})"
                + (f"; report: {report}" if report else ""))
        if job.rows_rejected and not opts["json"]:
            self.stderr.write("rejected rows are in quarantine: xiaoneng exchange quarantine --json")
