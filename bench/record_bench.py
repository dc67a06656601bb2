"""Write-path benchmark: events/s through ``cases.services.record_events`` in batches of 1000.

Run: .venv/bin/python bench/record_bench.py [--cases 2000] [--batch 1000] [--keep DIR]

Builds a throw-away SQLite database (or uses DATABASE_URL if set — give it an empty database of its own),
one department with a 5-step 承诺件, then records ``--cases`` synthetic cases, 10 events each (submitted,
accepted, five step_completed, fee_charged, decided, delivered), in batches of ``--batch`` events. Side by side:
the same life recorded one event per call (for 1 % of the cases), with and without the other apps' receivers
of ``events_recorded`` (supervision). Prints events/s, queries per batch and the time split.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

SH = ZoneInfo("Asia/Shanghai")
STEPS = [("accept", "受理", "acceptor", 1), ("review1", "初审", "reviewer1", 3), ("review2", "复审", "reviewer2", 2),
         ("decide", "决定", "decider", 2), ("notify", "办结告知", "notifier", 1)]


def setup(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ["XN_DATA_DIR"] = data_dir
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_org():
    from django.utils import timezone

    from xiaoneng.catalog.models import Fee, Item, ItemVersion, Step
    from xiaoneng.org.models import Department, Region

    city = Region.objects.create(code="330100000000", name="基准市", level="city")
    county = Region.objects.create(code="330122000000", name="基准县", level="county", parent=city)
    dept = Department.objects.create(code="RB", name="基准部门", region=county)
    item = Item.objects.create(code="REC-BENCH", name="基准事项", item_type="01", department=dept)
    version = ItemVersion.objects.create(item=item, number=1, status="published", statutory_days=20,
                                         promised_days=10, published_at=timezone.now())
    for order, (code, name, post, days) in enumerate(STEPS, start=1):
        Step.objects.create(version=version, order=order, code=code, name=name, post=post, days=days)
    Fee.objects.create(version=version, code="F01", name="工本费", amount="10.00")
    Item.objects.filter(pk=item.pk).update(current_version=version)
    return item, dept


def life(prefix: str, n: int, start: datetime):
    from xiaoneng.cases.services import NewEvent

    no = f"{prefix}{n:08d}"
    t = start + timedelta(minutes=n % 600)

    def e(k, type_, minutes, payload=None, **kw):
        return NewEvent(case_no=no, type=type_, occurred_at=t + timedelta(minutes=minutes), event_id=f"{no}-{k}",
                        source_system="bench", actor_id="u1", actor_name="基准员", payload=payload or {}, **kw)

    events = [
        e(0, "submitted", 0, {"applicant": {"type": "person", "name": "申请人", "id_no": "330122199001011234"},
                              "channel": "window"}, item_code="REC-BENCH", department_code="RB"),
        e(1, "accepted", 10),
        e(2, "fee_charged", 12, {"fee_code": "F01", "amount": "10.00"}),
    ]
    for i, (code, *_rest) in enumerate(STEPS):
        events.append(e(3 + i, "step_completed", 60 * 24 * (i + 1), {"step": code, "outcome": "pass"}))
    events.append(e(8, "decided", 60 * 24 * 5 + 30, {"result": "approved", "document_no": f"D{no}"}))
    events.append(e(9, "delivered", 60 * 24 * 6, {"method": "window"}))
    return events


def run(batches, receivers: bool):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiaoneng.cases.services import record_events
    from xiaoneng.cases.signals import events_recorded

    saved = events_recorded.receivers
    if not receivers:
        events_recorded.receivers = []
        events_recorded.sender_receivers_cache.clear()
    try:
        total, queries, t0 = 0, 0, time.perf_counter()
        received = datetime(2025, 12, 1, 9, tzinfo=SH)
        for batch in batches:
            with CaptureQueriesContext(connection) as ctx:
                results = record_events(batch, received_at=received)
            assert all(r.status == "accepted" for r in results), [r for r in results if r.status != "accepted"][:3]
            total += len(batch)
            queries = max(queries, len(ctx.captured_queries))
        elapsed = time.perf_counter() - t0
    finally:
        events_recorded.receivers = saved
        events_recorded.sender_receivers_cache.clear()
    return total, elapsed, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--keep", help="directory for the SQLite database (kept afterwards)")
    args = parser.parse_args()
    setup(args.keep or tempfile.mkdtemp(prefix="xn-record-bench-"))
    from django.db import connection

    from xiaoneng.cases.models import Case

    if Case.objects.exists():
        print("the benchmark database is not empty; use an empty one", file=sys.stderr)
        return 2
    build_org()
    start = datetime(2025, 11, 3, 9, tzinfo=SH)

    def batches(prefix, cases, size):
        flat = [e for n in range(cases) for e in life(prefix, n, start)]
        return [flat[i : i + size] for i in range(0, len(flat), size)]

    half = max(args.cases // 2, 1)
    single = max(args.cases // 100, 5)
    rows = [
        ("batch, supervision receivers on", *run(batches("A", half, args.batch), receivers=True)),
        ("batch, case engine only", *run(batches("B", args.cases - half, args.batch), receivers=False)),
        ("1 event per call, receivers on", *run(batches("C", single, 1), receivers=True)),
        ("1 event per call, case engine only", *run(batches("D", single, 1), receivers=False)),
    ]
    print(f"database: {connection.vendor}; {Case.objects.count():,} cases; batch size {args.batch}")
    print(f"{'mode':40} {'events':>8} {'seconds':>8} {'events/s':>9} {'max queries/batch':>18}")
    base = rows[1][1] / rows[1][2]
    for name, total, elapsed, queries in rows:
        rate = total / elapsed
        print(f"{name:40} {total:8,} {elapsed:8.2f} {rate:9,.0f} {queries:18}   ({rate / base:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
