"""Supervision sweep benchmark (PostgreSQL).

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_sweep_bench .venv/bin/python bench/sweep_bench.py
      [--small 100000] [--large 1000000] [--due 10000] [--runs 3] [--keep]

A scratch database (created if missing, its case / alert tables emptied) gets open cases written directly
with ``INSERT … SELECT generate_series`` (the generator bypasses the case engine on purpose): ``--due`` of
them have a passed deadline (``next_check_at`` one hour ago), the rest are due in the next 1–30 days. The
script then times, side by side for ``--small`` and ``--large`` open cases:
* one sweep over the due cases (cards raised, ``next_check_at`` moved; target ≤ 2 s),
* one sweep with nothing due (target ≤ 50 ms),
* the floor: a bare UPDATE of ``next_check_at`` on the due rows (rolled back),
and prints the ratio large / small (the sweep's cost must not grow with cases that are not due), the load
average, and where one more sweep's time goes (its statement under EXPLAIN ANALYZE: exclusive time and WAL
records of the claim, the card INSERT, the case UPDATE and the rest).
Between runs the due cases are reset and their cards removed, so every run does the same work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xn_sweep_bench"


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ.setdefault("XN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fixtures():
    """A county, departments and one published item (created once)."""
    from django.utils import timezone

    from xiaoneng.catalog.models import Item, ItemVersion
    from xiaoneng.org.models import Department, Region

    region, _ = Region.objects.get_or_create(code="330122000000", defaults={"name": "基准县", "level": "county"})
    depts = []
    for i in range(40):
        d, _ = Department.objects.get_or_create(code=f"BD{i:02d}", defaults={"name": f"基准部门{i:02d}", "region": region})
        depts.append(d)
    item, _ = Item.objects.get_or_create(code="BENCH-ITEM", defaults={"name": "基准事项", "item_type": "01",
                                                                     "department": depts[0]})
    version = ItemVersion.objects.filter(item=item).first() or ItemVersion.objects.create(
        item=item, number=1, status="published", statutory_days=20, promised_days=10, published_at=timezone.now())
    return region, depts, item, version


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        import json

        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


def insert_cases(start: int, count: int, due: int, region, depts, item, version) -> None:
    """Cases ``start`` … ``start+count-1``; the first ``due`` of them are due now."""
    from django.db import connection

    from xiaoneng.cases.models import Case

    iso = "to_char((%s) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
    at_expr = (f"CASE WHEN g < {start} + {due} THEN now() - interval '1 hour' "
               "ELSE now() + ((g % 30) + 1) * interval '1 day' END")
    special = {
        "case_no": "'BENCH-' || g",
        "region_code": _literal(region.code),
        "department_id": f"(ARRAY[{','.join(str(d.pk) for d in depts)}])[(g % {len(depts)}) + 1]",
        "item_id": str(item.pk),
        "item_version_id": str(version.pk),
        "status": "'accepted'",
        "submitted_at": "now() - interval '3 days'",
        "accepted_at": "now() - interval '3 days'",
        "promised_due": "now() + interval '10 days'",
        "statutory_due": "now() + interval '20 days'",
        "clock_state": "'normal'",
        "next_check_at": at_expr,
        "deadlines": ("jsonb_build_array(jsonb_build_object('rule', 'case_limit', 'level', 'warning', 'step', NULL, "
                      f"'at', {iso % at_expr}), jsonb_build_object('rule', 'case_limit', 'level', 'yellow', "
                      f"'step', NULL, 'at', {iso % ('(' + at_expr + ') + interval ' + chr(39) + '2 days' + chr(39))}))"),
        "created_at": "now()",
        "updated_at": "now()",
    }
    cols, exprs = [], []
    for f in Case._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(connection.ops.quote_name(f.column))
        if f.attname in special or f.name in special:
            exprs.append(special.get(f.attname) or special[f.name])
        elif f.null:
            exprs.append("NULL")
        else:
            exprs.append(_literal(f.get_default()))
    sql = (f"INSERT INTO {Case._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "  # noqa: S608
           f"FROM generate_series({start}, {start + count - 1}) AS g")
    with connection.cursor() as cursor:
        cursor.execute(sql)


def reset_due(due: int) -> None:
    """Make the first ``due`` cases due again and remove their cards."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM supervision_alert")
        cursor.execute("DELETE FROM supervision_alertdailystat")
        cursor.execute(
            "UPDATE cases_case SET next_check_at = now() - interval '1 hour', clock_state = 'normal', "
            "deadlines = jsonb_build_array(jsonb_build_object('rule', 'case_limit', 'level', 'warning', "
            "'step', NULL, 'at', to_char((now() - interval '1 hour') AT TIME ZONE 'Asia/Shanghai', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')), jsonb_build_object('rule', 'case_limit', 'level', 'yellow', "
            "'step', NULL, 'at', to_char((now() + interval '2 days') AT TIME ZONE 'Asia/Shanghai', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'))) "
            "WHERE id IN (SELECT id FROM cases_case ORDER BY id LIMIT %s)", [due])
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE supervision_alert")


def clear() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE supervision_alerttransition, supervision_notification, supervision_outboundmessage, "
                       "supervision_accountability, supervision_supervisionorder, supervision_alert, "
                       "supervision_alertdailystat, supervision_departmentsnapshot, "
                       "cases_casestep, cases_caseevent, cases_case RESTART IDENTITY CASCADE")


def _walk(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def explain_sweep(due: int) -> str:
    """Where one sweep's time goes: the sweep statement is run once more under EXPLAIN ANALYZE (its real work),
    and the exclusive time and WAL records of its parts are summarised."""
    import json

    from django.db import connection

    from xiaoneng.supervision.services import sweep

    plans = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH claimed"):
            execute("EXPLAIN (ANALYZE, WAL, FORMAT JSON) " + sql, params, many, context)
            plan = context["cursor"].fetchone()[0]
            plans.append(json.loads(plan) if isinstance(plan, str) else plan)
        return execute(sql, params, many, context)

    reset_due(due)
    with connection.execute_wrapper(wrapper):
        sweep()
    root = plans[0][0]
    parts: dict[str, list[float]] = {}
    def total(node: dict) -> float:
        return node["Actual Total Time"] * node["Actual Loops"]

    for node in _walk(root["Plan"]):
        # a CTE's work is its own subplan's; scanning its stored rows again is nearly free
        own = 0.0 if node["Node Type"] == "CTE Scan" else total(node) - sum(map(total, node.get("Plans", ())))
        if node["Node Type"] == "ModifyTable":
            name = f"{node['Operation'].lower()} {node['Relation Name']}"
        elif node["Node Type"] == "LockRows":
            name = "claim (FOR UPDATE SKIP LOCKED)"
        else:
            name = "reading, joining, rendering"
        acc = parts.setdefault(name, [0.0, 0])
        acc[0] += max(own, 0.0)
        acc[1] += node.get("WAL Records", 0) if node["Node Type"] in ("ModifyTable", "LockRows") else 0
    text = ", ".join(f"{k} {ms:.0f} ms ({wal:,} WAL records)" if wal else f"{k} {ms:.0f} ms"
                     for k, (ms, wal) in sorted(parts.items(), key=lambda kv: -kv[1][0]))
    return f"statement {root['Execution Time']:.0f} ms: {text}"


def time_sweeps(due: int, runs: int) -> dict:
    from xiaoneng.supervision.models import Alert
    from xiaoneng.supervision.services import sweep

    due_times, idle_times = [], []
    for _ in range(runs):
        reset_due(due)
        r = sweep()
        assert r.processed == due, (r.processed, due)
        assert Alert.objects.count() == due
        due_times.append(r.seconds)
        for _ in range(5):
            idle = sweep()
            assert idle.processed == 0
            idle_times.append(idle.seconds)
    # The floor: the bare row writes any sweep must make (move next_check_at of the due cases), rolled back.
    from django.db import connection, transaction

    floors = []
    for _ in range(runs):
        try:
            with transaction.atomic():
                t = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE cases_case SET next_check_at = next_check_at + interval '1 second' "
                                   "WHERE id IN (SELECT id FROM cases_case ORDER BY id LIMIT %s)", [due])
                floors.append(time.perf_counter() - t)
                raise _Rollback
        except _Rollback:
            pass
    return {"due": statistics.median(due_times), "due_all": due_times, "load": os.getloadavg()[0],
            "idle": statistics.median(idle_times), "idle_max": max(idle_times), "floor": statistics.median(floors),
            "explain": explain_sweep(due)}


class _Rollback(Exception):
    pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated cases (for bench/wall_bench.py)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the --large cases kept by a previous --keep run: time the large size first, "
                             "then delete down to --small and time that")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("sweep_bench needs PostgreSQL: set DATABASE_URL=postgres://…/<scratch database>")
    ensure_database(url)
    setup_django(url)
    region, depts, item, version = fixtures()
    results = {}
    from xiaoneng.cases.models import Case

    if args.reuse and Case.objects.count() == args.large:
        results[args.large] = time_sweeps(args.due, args.runs)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM supervision_alert")
            cursor.execute("DELETE FROM cases_case WHERE id > %s", [args.small])
        results[args.small] = time_sweeps(args.due, args.runs)
        return report(args, results)
    clear()
    t = time.perf_counter()
    insert_cases(1, args.small, args.due, region, depts, item, version)
    print(f"generated {args.small:,} open cases in {time.perf_counter() - t:.1f}s", flush=True)
    results[args.small] = time_sweeps(args.due, args.runs)
    t = time.perf_counter()
    insert_cases(args.small + 1, args.large - args.small, 0, region, depts, item, version)
    print(f"generated {args.large - args.small:,} more (total {args.large:,}) in {time.perf_counter() - t:.1f}s",
          flush=True)
    results[args.large] = time_sweeps(args.due, args.runs)
    code = report(args, results)
    if not args.keep:
        clear()
    return code


def report(args, results) -> int:
    s, lg = results[args.small], results[args.large]
    print()
    print(f"{'open cases':>12} | {'due':>7} | {'sweep (median)':>15} | {'nothing due (median / max)':>27} | "
          f"floor: bare UPDATE of the due rows | load average")
    for n, r in ((args.small, s), (args.large, lg)):
        print(f"{n:>12,} | {args.due:>7,} | {r['due'] * 1000:>12.0f} ms | "
              f"{r['idle'] * 1000:>10.1f} ms / {r['idle_max'] * 1000:.1f} ms | {r['floor'] * 1000:>8.0f} ms | "
              f"{r['load']:.1f}")
    for n, r in ((args.small, s), (args.large, lg)):
        print(f"{n:>12,}: sweeps {', '.join(f'{t * 1000:.0f}' for t in r['due_all'])} ms; {r['explain']}")
    print(f"ratio large/small: sweep {lg['due'] / s['due']:.2f}x, nothing due {lg['idle'] / s['idle']:.2f}x, "
          f"floor {lg['floor'] / s['floor']:.2f}x; sweep / floor: {s['due'] / s['floor']:.1f}x and "
          f"{lg['due'] / lg['floor']:.1f}x")
    ok = lg["due"] <= 2.0 and lg["idle"] <= 0.05
    print(f"targets (sweep ≤ 2 s, nothing due ≤ 50 ms at {args.large:,}): {'met' if ok else 'NOT met'}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
