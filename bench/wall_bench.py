"""Monitoring-wall benchmark (PostgreSQL): server time of the wall page and of its htmx partial with 1M cases.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_sweep_bench .venv/bin/python bench/wall_bench.py
      [--cases 1000000] [--alerts 300000] [--runs 30]

Uses the scratch database of ``bench/sweep_bench.py`` (run that with ``--keep`` first, or this script generates
the cases itself with the same generator). Adds ``--alerts`` cards spread over 30 days (direct INSERT … SELECT,
with the matching ``AlertDailyStat`` rows), refreshes the per-department snapshot (the periodic job, timed
separately: it runs in the worker, not in the request), then renders as a supervisor (all departments) and as a
department leader: the full page and the 30-second partial. Prints median / p95 per view; target < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import sweep_bench  # noqa: E402


def ensure_cases(n: int) -> None:
    from xiaoneng.cases.models import Case

    have = Case.objects.count()
    if have >= n:
        return
    region, depts, item, version = sweep_bench.fixtures()
    sweep_bench.clear()
    sweep_bench.insert_cases(1, n, 10_000, region, depts, item, version)


def add_alerts(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM supervision_alert WHERE subject_type = 'bench'")
        cursor.execute("DELETE FROM supervision_alertdailystat")
        cursor.execute(
            "INSERT INTO supervision_alert (subject_type, subject_id, subject_no, case_id, department_id, "
            "region_code, step, rule, level, due_at, raised_at, status, status_changed_at, message, "
            "escalation_level, next_escalation_at) "
            "SELECT 'case', c.id, c.case_no, c.id, c.department_id, c.region_code, '', "
            "(ARRAY['case_limit','step_limit','delivery','illegal_fee','late_report'])[(g %% 5) + 1], "
            "(ARRAY['warning','yellow','red'])[(g %% 3) + 1], "
            "now() - (g %% 30) * interval '1 day' - interval '1 hour', now() - (g %% 30) * interval '1 day', "
            "(ARRAY['issued','issued','closed','revoked'])[(g %% 4) + 1], now(), '办件编号为' || c.case_no || '的事项已超期', "
            "1, NULL FROM generate_series(1, %s) AS g JOIN cases_case c ON c.id = g + 20000 "
            "ON CONFLICT DO NOTHING", [n])
        cursor.execute(
            "INSERT INTO supervision_alertdailystat (day, department_id, rule, level, count) "
            "SELECT (raised_at AT TIME ZONE 'Asia/Shanghai')::date, department_id, rule, level, count(*) "
            "FROM supervision_alert GROUP BY 1, 2, 3, 4")
        cursor.execute("VACUUM ANALYZE supervision_alert")
        cursor.execute("VACUUM ANALYZE supervision_alertdailystat")


def users():
    from xiaoneng.org.models import Department, Post, PostAssignment, User

    dept = Department.objects.get(code="BD00")
    jc, _ = Department.objects.get_or_create(code="BJC", defaults={"name": "基准监察局", "region": dept.region,
                                                                    "kind": "supervision"})
    sup, _ = User.objects.get_or_create(username="bench-supervisor", defaults={"department": jc})
    PostAssignment.objects.get_or_create(user=sup, department=jc, post=Post.SUPERVISOR)
    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"department": dept})
    PostAssignment.objects.get_or_create(user=leader, department=dept, post=Post.LEADER)
    return sup, leader


def timed(client, url, runs, **headers) -> tuple[float, float]:
    client.get(url, **headers)  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url, **headers)
        samples.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or sweep_bench.DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("wall_bench needs PostgreSQL: set DATABASE_URL=postgres://…/<scratch database>")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    sweep_bench.ensure_database(url)
    sweep_bench.setup_django(url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiaoneng.cases.models import Case
    from xiaoneng.supervision.models import Alert
    from xiaoneng.supervision.wall import refresh_snapshots

    ensure_cases(args.cases)
    add_alerts(args.alerts)
    t = time.perf_counter()
    refresh_snapshots()
    snapshot = time.perf_counter() - t
    print(f"{Case.objects.count():,} cases, {Alert.objects.count():,} cards; "
          f"snapshot job (worker, every 60 s): {snapshot * 1000:.0f} ms", flush=True)
    sup, leader = users()
    rows = []
    for who, user in (("supervisor (all departments)", sup), ("department leader", leader)):
        client = Client()
        client.force_login(user)
        page = timed(client, "/staff/supervision/wall/", args.runs)
        partial = timed(client, "/staff/supervision/wall/panels/", args.runs, HTTP_HX_REQUEST="true")
        screen = timed(client, "/staff/supervision/wall/?screen=1", args.runs)
        with CaptureQueriesContext(connection) as ctx:
            client.get("/staff/supervision/wall/panels/", HTTP_HX_REQUEST="true")
        rows.append((who, page, partial, screen, len(ctx.captured_queries)))
    print()
    print(f"{'view':<30} | {'page median / p95':>20} | {'partial median / p95':>22} | {'大屏 median':>11} | queries")
    for who, page, partial, screen, q in rows:
        print(f"{who:<30} | {page[0] * 1000:>7.0f} / {page[1] * 1000:>4.0f} ms | "
              f"{partial[0] * 1000:>9.0f} / {partial[1] * 1000:>4.0f} ms | {screen[0] * 1000:>8.0f} ms | {q}")
    ok = all(r[1][0] < 0.3 and r[2][0] < 0.3 for r in rows)
    print(f"target (median < 300 ms): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
