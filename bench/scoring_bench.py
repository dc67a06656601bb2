"""Scoring benchmark (PostgreSQL): score one month for 200 departments over N cases; time and peak memory.

Run:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_evalbench .venv/bin/python bench/scoring_bench.py \
      [--cases 10000000] [--checkpoints 1000000,5000000,10000000] [--departments 200] [--events-per-case 1]

The database named in DATABASE_URL is DROPPED and recreated (default: xn_evalbench on 127.0.0.1). Data: 200
departments with 3 published items each (instant / promised working-day / natural-day), cases spread evenly over
the 12 months 2025-12 … 2026-11 (decided ones and open ones), ``--events-per-case`` events per case (2 % reported
late), cards on 2 % of the cases (all levels and rules, 10 % revoked), 1 % ratings (20 % 差评), 0.05 % complaints,
0.1 % consultations — all written with COPY (psycopg ``cursor.copy``). At every checkpoint the month 2026-10 is
scored in a fresh child process (``evaluate_period``: indicators, facts, scores and lines stored, ranks), twice
(cold-ish, warm); the child reports its wall time, its peak RSS and the query count. The target is ≤ 10 s per
month and a flat RSS as the case count grows.

``bench/scoring_bench.py child`` only scores (twice) against the existing database: a re-measure without
regenerating. ``--resume`` migrates the database first (the code scored may be newer than the data).

Measured 2026-11-22 on the shared 2-CPU / 23 GB machine (PostgreSQL 15, shared_buffers 128 MB, work_mem 4 MB,
other sessions' tests and benchmarks running; 1-minute load average in brackets), after commit 085fd1a:
  10,000,000 cases (1 M + 9 M ``--resume``): first run right after generation 2.93 s, second 3.12 s [3.4]
  (commit cfc6f6e); later child runs 4.57 / 4.34 s and 4.77 / 3.93 s [3.1–3.5]; peak RSS 121–122 MB.
  1,000,000 cases (own database): 1.69 / 1.93 s and 1.50 / 1.29 s [3.1–3.5]; peak RSS 107.8 MB.
  → 10× cases: time ×2.5–3, peak RSS ×1.13 (the month's facts are 10× more: 14,453 counted cards instead of 1,406,
  stored on the score lines; Python never holds cases). 16 queries on the main connection (+ 5 worker
  connections). Before (commit 958461c, same 10M database, side by side): the events aggregate 10.5–11.8 s
  → 1.4–1.5 s, the cases aggregate 8.2–9.7 s → 1.4–1.7 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xn_evalbench"
MONTH = "2026-10"
START = datetime(2025, 12, 1, tzinfo=UTC) - timedelta(hours=8)  # local midnight, Asia/Shanghai
SPAN = (datetime(2026, 12, 1, tzinfo=UTC) - timedelta(hours=8)) - START
SPD = 7 * 3600
RULES = [("case_limit", ("warning", "yellow", "red")), ("step_limit", ("warning", "yellow")),
         ("procedure_violation", ("yellow",)), ("late_report", ("warning",)), ("illegal_fee", ("red",)),
         ("repeated_correction", ("yellow",)), ("delivery", ("yellow", "red"))]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ.setdefault("XN_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- COPY helpers ----------------------------------------------------------------------------------------------

_ts_cache: dict[int, str] = {}


def ts(dt_minutes: int) -> str:
    """Minutes since START → timestamptz text (cached)."""
    s = _ts_cache.get(dt_minutes)
    if s is None:
        s = (START + timedelta(minutes=dt_minutes)).strftime("%Y-%m-%d %H:%M:%S+00")
        _ts_cache[dt_minutes] = s
    return s


class Table:
    """Columns of a model's table with a default text for each (``\\N`` for NULL)."""

    def __init__(self, model, include_pk: bool = False, **defaults):
        from django.db.models import NOT_PROVIDED

        self.model = model
        self.columns = []
        self.template = []
        for f in model._meta.concrete_fields:
            if f.primary_key and not include_pk:
                continue
            self.columns.append(f.column)
            if f.column in defaults:
                value = defaults[f.column]
            elif f.default is not NOT_PROVIDED:
                d = f.default() if callable(f.default) else f.default
                value = json.dumps(d) if f.get_internal_type() == "JSONField" else (
                    "t" if d is True else "f" if d is False else str(d))
            elif f.null:
                value = "\\N"
            else:
                value = ""
            self.template.append(value)
        self.index = {c: i for i, c in enumerate(self.columns)}

    def copy(self, conn, rows_text: list[str]) -> None:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with conn.cursor() as cur, cur.copy(f'COPY "{self.model._meta.db_table}" ({cols}) FROM STDIN') as cp:
            cp.write("".join(rows_text))


def build_reference(departments: int):
    from django.utils import timezone

    from xiaoneng.catalog.models import Item, ItemVersion
    from xiaoneng.org.models import Department, Region

    city = Region.objects.create(code="330100000000", name="示例市", level="city")
    county = Region.objects.create(code="330122000000", name="示例县", level="county", parent=city)
    depts = Department.objects.bulk_create([Department(code=f"B{i:03d}", name=f"示例县第{i}局", region=county)
                                            for i in range(1, departments + 1)])
    Department.objects.create(code="JC", name="示例县监察局", region=county, kind="supervision")
    versions = []
    now = timezone.now()
    specs = [("instant", "workday", 5, 0), ("promised", "workday", 20, 8), ("promised", "natural_day", 30, 15)]
    for d in depts:
        for k, (handling, unit, statutory, promised) in enumerate(specs):
            item = Item.objects.create(code=f"{d.code}-{k}", name=f"{d.name}事项{k}", item_type="01", department=d)
            v = ItemVersion.objects.create(item=item, number=1, status="published", handling_type=handling,
                                           limit_unit=unit, statutory_days=statutory, promised_days=promised,
                                           published_at=now)
            item.current_version = v
            item.save(update_fields=["current_version"])
            versions.append((d.id, item.id, v.id, promised, statutory))
    return versions


def generate(conn, versions, first_id: int, count: int, events_per_case: int, seed: int) -> None:
    from xiaoneng.cases.models import Case, CaseEvent
    from xiaoneng.feedback.models import Complaint, Consultation, Rating
    from xiaoneng.supervision.models import Alert

    rnd = random.Random(seed)
    span_min = int(SPAN.total_seconds() // 60)
    now_txt = ts(span_min)
    case_t = Table(Case, include_pk=True, region_code="330122000000", clock="{}", deadlines="[]", created_at=now_txt,
                   updated_at=now_txt)
    ev_t = Table(CaseEvent, region_code="330122000000", payload="{}")
    al_t = Table(Alert, region_code="330122000000", subject_type="case")
    ra_t = Table(Rating, region_code="330122000000", channel="window", scores="{}", deadlines="[]")
    co_t = Table(Complaint, region_code="330122000000", type="attitude", target="department",
                 description="bench", phone_cipher="x", phone_last4="0000", deadlines="[]")
    cs_t = Table(Consultation, region_code="330122000000", question="bench", asker_name="x", deadlines="[]")
    ci = case_t.index
    chunk = 200_000
    done = 0
    while done < count:
        n = min(chunk, count - done)
        cases, events, alerts, ratings, complaints, consults = [], [], [], [], [], []
        for j in range(n):
            cid = first_id + done + j
            dept, item, version, promised, statutory = versions[rnd.randrange(len(versions))]
            # ids follow submission time (as in a live system), so a month's cases are clustered on disk
            sub = int((done + j) / count * (span_min - 60 * 24 * 40)) + rnd.randrange(600)
            decided = rnd.random() < 0.9
            days = rnd.uniform(0, promised * 1.3 if promised else 0.5)
            dec = sub + int(days * 1440 * 1.4) + 60 if decided else None
            pdue = sub + int(max(promised, 0.5) * 1440 * 1.4)
            row = case_t.template[:]
            row[ci["id"]] = str(cid)
            row[ci["case_no"]] = f"B{cid:011d}"
            row[ci["department_id"]] = str(dept)
            row[ci["item_id"]] = str(item)
            row[ci["item_version_id"]] = str(version)
            row[ci["channel"]] = "online" if cid % 3 == 0 else "window"
            row[ci["status"]] = "decided" if decided else "accepted"
            row[ci["submitted_at"]] = row[ci["accepted_at"]] = ts(sub)
            if decided:
                row[ci["decided_at"]] = ts(dec)
            row[ci["elapsed_seconds"]] = str(int(days * SPD))
            row[ci["promised_due"]] = ts(pdue)
            row[ci["statutory_due"]] = ts(sub + int(max(statutory, 1) * 1440 * 1.4))
            row[ci["clock_state"]] = "done" if decided else "normal"
            cases.append("\t".join(row) + "\n")
            for s in range(events_per_case):
                occ = sub + s * 30
                late = rnd.random() < 0.02
                er = ev_t.template[:]
                er[ev_t.index["case_id"]] = str(cid)
                er[ev_t.index["department_id"]] = str(dept)
                er[ev_t.index["seq"]] = str(s + 1)
                er[ev_t.index["event_id"]] = f"{cid}-{s}"
                er[ev_t.index["type"]] = "submitted" if s == 0 else "step_completed"
                er[ev_t.index["occurred_at"]] = ts(occ)
                er[ev_t.index["received_at"]] = ts(occ + (1440 * 3 if late else 1))
                er[ev_t.index["hash"]] = f"{cid:064d}"
                events.append("\t".join(er) + "\n")
            r = rnd.random()
            if r < 0.02:
                rule, levels = RULES[cid % len(RULES)]
                level = levels[(cid // 7) % len(levels)]
                ar = al_t.template[:]
                due = ts(sub + 60 * 24 * 5)
                for col, val in (("subject_id", str(cid)), ("subject_no", f"B{cid:011d}"), ("case_id", str(cid)),
                                 ("department_id", str(dept)), ("rule", rule), ("level", level), ("due_at", due),
                                 ("raised_at", due), ("status_changed_at", due),
                                 ("status", "revoked" if cid % 10 == 0 else "issued")):
                    ar[al_t.index[col]] = val
                alerts.append("\t".join(ar) + "\n")
            elif r < 0.03 and decided:
                level = 1 + (cid % 5)
                rr = ra_t.template[:]
                rated = ts(dec + 60)
                for col, val in (("receipt_no", f"P{cid:011d}"), ("case_id", str(cid)), ("department_id", str(dept)),
                                 ("level", str(level)), ("is_bad", "t" if level <= 2 else "f"), ("rated_at", rated),
                                 ("rectify_due", ts(dec + 60 * 24 * 7)),
                                 ("rectified_at", ts(dec + 60 * 24 * (5 if cid % 2 else 9)) if level <= 2 else "\\N")):
                    rr[ra_t.index[col]] = val
                ratings.append("\t".join(rr) + "\n")
            elif r < 0.0305:
                cr = co_t.template[:]
                for col, val in (("receipt_no", f"T{cid:011d}"), ("target_department_id", str(dept)),
                                 ("department_id", str(dept)), ("received_at", ts(sub + 600)),
                                 ("status", "resolved"),
                                 ("result", "substantiated" if cid % 2 else "unsubstantiated")):
                    cr[co_t.index[col]] = val
                complaints.append("\t".join(cr) + "\n")
            elif r < 0.0315:
                sr = cs_t.template[:]
                for col, val in (("receipt_no", f"Z{cid:011d}"), ("department_id", str(dept)),
                                 ("received_at", ts(sub)), ("reply_due", ts(sub + 1440 * 4)),
                                 ("replied_at", ts(sub + 1440 * (2 if cid % 4 else 6))), ("status", "replied")):
                    sr[cs_t.index[col]] = val
                consults.append("\t".join(sr) + "\n")
        for table, rows in ((case_t, cases), (ev_t, events), (al_t, alerts), (ra_t, ratings), (co_t, complaints),
                            (cs_t, consults)):
            if rows:
                table.copy(conn, rows)
        conn.commit()
        done += n
        print(f"  … {first_id - 1 + done:,} cases", flush=True)


INDEXED_TABLES = ("cases_case", "cases_caseevent")


def drop_secondary_indexes(conn) -> list[str]:
    """Drop the plain (non-constraint) indexes of the big tables for the load; returns their definitions."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
             WHERE i.tablename = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)""",
                    [list(INDEXED_TABLES)])
        rows = cur.fetchall()
        for name, _ in rows:
            cur.execute(f'DROP INDEX "{name}"')
    conn.commit()
    return [d for _, d in rows]


def create_indexes(conn, definitions: list[str]) -> None:
    with conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for d in definitions:
            cur.execute(d)
    conn.commit()


def fix_sequences(conn) -> None:
    from xiaoneng.cases.models import Case, CaseEvent
    from xiaoneng.feedback.models import Complaint, Consultation, Rating
    from xiaoneng.supervision.models import Alert

    with conn.cursor() as cur:
        for model in (Case, CaseEvent, Alert, Rating, Complaint, Consultation):
            t = model._meta.db_table
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 1)) FROM {t}")  # noqa: S608 - table names from model meta, values as parameters
    conn.commit()


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). ``ru_maxrss`` is not used: Linux carries it over ``execve`` from the
    parent, so a child would report the generator's peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_score() -> None:
    """Child process: score MONTH twice, print JSON with times, peak RSS and query count."""
    setup_django()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from xiaoneng.evaluation import services

    out = {}
    rss_before = peak_rss_mb()
    cpu0 = time.process_time()
    for run in ("first", "second"):
        reset_queries()
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            scores = services.evaluate_period(MONTH)
            out[f"{run}_seconds"] = round(time.perf_counter() - t0, 2)
        out[f"{run}_queries"] = len(q)
    out["departments"] = len(scores)
    out["rss_before_mb"] = rss_before
    out["peak_rss_mb"] = peak_rss_mb()
    out["python_cpu_seconds_both_runs"] = round(time.process_time() - cpu0, 2)
    out["load_average"] = os.getloadavg()[0]
    out["top"] = [(s.department.code, str(s.total)) for s in scores[:3]]
    print("RESULT " + json.dumps(out))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child_score()
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=10_000_000)
    p.add_argument("--checkpoints", default="", help="comma-separated case counts to score at (default: --cases)")
    p.add_argument("--departments", type=int, default=200)
    p.add_argument("--events-per-case", type=int, default=1)
    p.add_argument("--seed", type=int, default=20261022)
    p.add_argument("--resume", action="store_true",
                   help="keep the existing database and add cases up to the checkpoints (no recreate)")
    args = p.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("PostgreSQL only: set DATABASE_URL=postgres://…/scratch_db")
    checkpoints = sorted({int(x) for x in args.checkpoints.split(",") if x} | {args.cases})
    print(f"database {url} ({'resumed' if args.resume else 'recreated'}); {args.departments} departments; "
          f"checkpoints {checkpoints}")
    if not args.resume:
        recreate_database(url)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    have = 0
    if args.resume:
        from xiaoneng.cases.models import Case
        from xiaoneng.catalog.models import ItemVersion

        versions = [(v.item.department_id, v.item_id, v.id, v.promised_days, v.statutory_days)
                    for v in ItemVersion.objects.select_related("item").order_by("id")]
        have = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
        print(f"resuming at {have:,} cases")
        call_command("migrate", verbosity=0)  # the code scored may be newer than the database
    else:
        call_command("migrate", verbosity=0)
        versions = build_reference(args.departments)
        print(f"schema + reference data: {time.perf_counter() - t0:.1f} s")
    connection.ensure_connection()
    conn = connection.connection
    results = []
    for target in checkpoints:
        if target <= have:
            continue
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
        indexes = drop_secondary_indexes(conn)
        generate(conn, versions, have + 1, target - have, args.events_per_case, args.seed + have)
        have = target
        t1 = time.perf_counter()
        create_indexes(conn, indexes)
        print(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - t1:.0f} s", flush=True)
        fix_sequences(conn)
        orig = conn.autocommit
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        conn.autocommit = orig
        gen = time.perf_counter() - t0
        print(f"generated up to {have:,} cases in {gen:.0f} s; scoring {MONTH} in a child process …", flush=True)
        proc = subprocess.run([sys.executable, __file__, "child"], capture_output=True, text=True,
                              env={**os.environ})
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if not line:
            print(proc.stdout, proc.stderr)
            sys.exit("child failed")
        res = json.loads(line[7:])
        res["cases"] = have
        results.append(res)
        print(f"  {have:>12,} cases: first {res['first_seconds']} s, second {res['second_seconds']} s, "
              f"queries {res['first_queries']}, peak RSS {res['peak_rss_mb']} MB, "
              f"python CPU {res['python_cpu_seconds_both_runs']} s, load {res['load_average']}", flush=True)
    print("\nscoring one month (2026-10), 200 departments — side by side")
    print(f"{'cases':>12} {'first s':>8} {'second s':>9} {'queries':>8} {'peak RSS MB':>12} {'load':>6}")
    for r in results:
        print(f"{r['cases']:>12,} {r['first_seconds']:>8} {r['second_seconds']:>9} {r['first_queries']:>8} "
              f"{r['peak_rss_mb']:>12} {r['load_average']:>6}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"ratio {b['cases'] / a['cases']:.0f}× cases → time ×{b['first_seconds'] / max(a['first_seconds'], 0.01):.2f}, "
              f"peak RSS ×{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}")
    warm = all(r["second_seconds"] <= 10 for r in results)
    cold = all(r["first_seconds"] <= 10 for r in results)
    print(f"target ≤ 10 s: second (warm) run {'met' if warm else 'NOT met'}; "
          f"first run right after generation {'met' if cold else 'NOT met'}")


if __name__ == "__main__":
    main()
