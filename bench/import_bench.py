"""Bulk-import (二次入录) benchmark (PostgreSQL): rows/s and peak memory on a large generated CSV.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_import_bench .venv/bin/python bench/import_bench.py
      [--rows 1000000] [--budget-seconds 0] [--resume] [--file PATH] [--keep] [--workers N]

Generates a CSV of ``--rows`` historical cases (submitted, accepted, decided, delivered: four events per row)
in the import template's format (bench/var/import-<rows>.csv, reused if present), then imports it with
``xiaoneng.exchange.importer.run_import`` — streamed reading, chunks of ~4000 events through the single write
path, recorded by ``--workers`` processes (default one per CPU up to 8) — and prints rows/s, events/s and the
peak RSS (``resource.getrusage``; the largest worker's too) next to the RSS before the import (Django loaded):
constant memory means the difference does not grow with the file.
``--budget-seconds N`` stops the import after N seconds (the job is left resumable; ``--resume`` continues it),
so a 1,000,000-row file can be measured on a slow machine without waiting for the whole run.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import signal
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xn_import_bench"
HEADER = ["case_no", "item_code", "department", "applicant_type", "applicant_name", "id_no", "channel",
          "submitted_at", "accepted_at", "decided_at", "result", "reason", "document_no", "delivered_at"]


class Budget(BaseException):
    pass


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vm_rss_mb(pid: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:  # a worker that just exited
        pass
    return 0.0


def _children() -> list[str]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.extend((task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return pids


def current_rss_mb() -> float:
    """This process and its import workers together."""
    return _vm_rss_mb("self") + sum(_vm_rss_mb(pid) for pid in _children())


class RssSampler:
    """Current RSS every second in a background thread: shows whether memory grows during the import."""

    def __init__(self):
        import threading

        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        start = time.perf_counter()
        while not self._stop.wait(1.0):
            self.samples.append((time.perf_counter() - start, current_rss_mb()))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        n = len(self.samples)
        picks = [self.samples[min(n - 1, int(n * q))] for q in (0.1, 0.25, 0.5, 0.75, 1.0)]
        return ", ".join(f"{t:.0f}s {mb:.0f} MB" for t, mb in picks)


def generate(path: Path, rows: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    base = datetime(2024, 1, 2, 9, 0)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            t = base + timedelta(seconds=37 * i)
            f = "%Y-%m-%d %H:%M:%S"
            writer.writerow([f"IMP{i:09d}", "BENCH-ITEM", "BENCH", "person", "张三", "330122199001011234", "window",
                             t.strftime(f), (t + timedelta(minutes=20)).strftime(f),
                             (t + timedelta(days=5)).strftime(f), "approved", "", f"许{i}",
                             (t + timedelta(days=6)).strftime(f)])
    tmp.rename(path)


def copy_ceiling(sample_cases: int) -> tuple[int, float]:
    """The physical ceiling, side by side: PostgreSQL ``COPY`` of the rows the import wrote for its last
    ``sample_cases`` cases (case rows, their events, their step rows: exactly what a row costs) into empty tables
    with the same columns and indexes (``LIKE … INCLUDING ALL``; logged tables, as the real ones). The rows are
    read into memory first, so only the database's writing is timed. Returns (cases, seconds)."""
    import io

    from django.db import connection

    tables = ("cases_case", "cases_caseevent", "cases_casestep")
    with connection.cursor() as cur:
        raw = cur.cursor
        cur.execute("SELECT min(id) FROM (SELECT id FROM cases_case ORDER BY id DESC LIMIT %s) s", [sample_cases])
        first = cur.fetchone()[0]
        if first is None:
            return 0, 0.0
        data = {}
        for table in tables:
            key = "id" if table == "cases_case" else "case_id"
            buf = io.BytesIO()
            with raw.copy(f"COPY (SELECT * FROM {table} WHERE {key} >= {int(first)}) TO STDOUT") as copy:  # noqa: S608 - fixed table names
                for block in copy:
                    buf.write(block)
            data[table] = buf.getvalue()
            cur.execute(f"DROP TABLE IF EXISTS bench_ceiling_{table}")
            cur.execute(f"CREATE TABLE bench_ceiling_{table} (LIKE {table} INCLUDING ALL)")
        cur.execute("SELECT count(*) FROM cases_case WHERE id >= %s", [first])
        cases = cur.fetchone()[0]
        started = time.perf_counter()
        for table in tables:
            t0 = time.perf_counter()
            with raw.copy(f"COPY bench_ceiling_{table} FROM STDIN") as copy:
                copy.write(data[table])
            print(f"  ceiling: {table} {len(data[table]) / 1e6:.0f} MB in {time.perf_counter() - t0:.2f} s")
        elapsed = time.perf_counter() - started
        for table in tables:
            cur.execute(f"DROP TABLE bench_ceiling_{table}")
    return cases, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--budget-seconds", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--file", help="import this file instead of the generated one")
    parser.add_argument("--keep", action="store_true", help="do not empty the case tables first")
    parser.add_argument("--workers", type=int, default=None,
                        help="import processes (default: one per CPU up to 8, as `xiaoneng import`)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    path = Path(args.file) if args.file else ROOT / "bench" / "var" / f"import-{args.rows}.csv"
    started = time.perf_counter()
    if not args.file:
        generate(path, args.rows)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB), generated/reused in "
          f"{time.perf_counter() - started:.1f} s")

    import ingest_bench

    ingest_bench.ensure_database(url)
    ingest_bench.setup_django(url)
    if not args.keep and not args.resume:
        ingest_bench.reset_and_fixtures()
        from xiaoneng.exchange.models import ImportJob

        ImportJob.objects.all().delete()
    from xiaoneng.core.runtime import tune_gc
    from xiaoneng.exchange.importer import import_workers, run_import
    from xiaoneng.exchange.models import ImportJob

    workers = import_workers(args.workers or min(os.cpu_count() or 1, 8))  # explicit: the RSS sampler is a thread
    tune_gc()  # as `xiaoneng import` does (XN_GC_GEN0_THRESHOLD=0 measures without)
    rss_before = rss_mb()
    previous = ImportJob.objects.order_by("-started_at").first() if args.resume else None
    rows_before = previous.rows_total if previous else 0
    events_before = previous.events_accepted if previous else 0
    if args.budget_seconds:
        def stop(signum, frame):
            raise Budget

        signal.signal(signal.SIGALRM, stop)
        signal.alarm(args.budget_seconds)
    started = time.perf_counter()
    interrupted = False
    sampler = RssSampler()
    try:
        with sampler:
            run_import(path, resume=args.resume, user="bench", workers=workers)
    except Budget:
        interrupted = True
    finally:
        signal.alarm(0)
    elapsed = time.perf_counter() - started
    job = ImportJob.objects.order_by("-started_at").first()
    rows = job.rows_total - rows_before
    events = job.events_accepted - events_before
    print(f"import #{job.pk}: {job.status}{' (budget reached; resumable with --resume)' if interrupted else ''}; "
          f"last committed row {job.last_row}")
    print(f"rows this run: {rows}; job totals: {job.rows_total} ({job.rows_imported} imported, {job.rows_duplicate} duplicate, {job.rows_rejected} "
          f"rejected), events accepted: {job.events_accepted}")
    print(f"time: {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s, {events / elapsed:,.0f} events/s "
          f"(target ≥ 10,000 rows/s)")
    print(f"workers: {workers}; peak RSS: {rss_mb():.0f} MB (before the import, Django loaded: {rss_before:.0f} MB; "
          f"growth {rss_mb() - rss_before:.0f} MB)"
          + (f"; largest worker's peak RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB"
             if workers > 1 else ""))
    print(f"current RSS, this process and its workers together (10/25/50/75/100 % of the time): "
          f"{sampler.summary()}")
    cases, seconds = copy_ceiling(min(max(rows, 1), 100_000))
    if seconds:
        print(f"ceiling (COPY of the last {cases:,} cases' case, event and step rows into empty copies of the "
              f"tables): {seconds:.2f} s = {cases / seconds:,.0f} rows/s; import / ceiling = "
              f"{rows / elapsed / (cases / seconds):.2f}")


if __name__ == "__main__":
    main()
