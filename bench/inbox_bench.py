"""Inbox benchmark: render a window clerk's 待办 page with 100k cases in the database.

Run: .venv/bin/python bench/inbox_bench.py [--cases 100000] [--runs 30] [--keep DIR]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_inbox_bench .venv/bin/python bench/inbox_bench.py …

Builds a throw-away SQLite database (or uses DATABASE_URL if set — give it an empty database of its own,
created with ``createdb`` first; ``--keep DIR`` then re-measures it on a second run),
bulk-generates cases and their CaseStep projections directly (no events: the inbox reads only the projection),
and renders /staff/cases/ through Django's test client for a clerk (受理员), a reviewer (初审) and a chief
representative (首席代表, five delegated posts). It measures at 10 % of the cases and again at 100 %, side by
side, and prints the median / p95 times, the queries per page and the query plan of the step list (which must
use the ``casestep_inbox`` index).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ["XN_DATA_DIR"] = data_dir
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)


DEPARTMENTS = 20
STEPS = [("accept", "受理", "acceptor", 1), ("review1", "初审", "reviewer1", 3), ("review2", "复审", "reviewer2", 2),
         ("decide", "决定", "decider", 2), ("notify", "办结告知", "notifier", 1)]


def build_org():
    from django.utils import timezone

    from xiaoneng.catalog.models import Item, ItemVersion, Step
    from xiaoneng.org.models import Department, Post, PostAssignment, Region, User

    city = Region.objects.create(code="330100000000", name="基准市", level="city")
    county = Region.objects.create(code="330122000000", name="基准县", level="county", parent=city)
    depts, versions = [], []
    for i in range(DEPARTMENTS):
        dept = Department.objects.create(code=f"B{i:02d}", name=f"基准部门{i}", region=county)
        item = Item.objects.create(code=f"BENCH-{i:02d}", name=f"基准事项{i}", item_type="01", department=dept)
        version = ItemVersion.objects.create(item=item, number=1, status="published", statutory_days=20,
                                             promised_days=10, published_at=timezone.now())
        for order, (code, name, post, days) in enumerate(STEPS, start=1):
            Step.objects.create(version=version, order=order, code=code, name=name, post=post, days=days)
        Item.objects.filter(pk=item.pk).update(current_version=version)
        depts.append(dept)
        versions.append(version)
    users = {}
    for post in (Post.ACCEPTOR, Post.REVIEWER1, Post.CHIEF_REP):
        user = User.objects.create(username=f"bench_{post}", full_name=f"基准{post}", department=depts[0])
        user.set_unusable_password()
        user.save()
        PostAssignment.objects.create(user=user, department=depts[0], post=post)
        users[post] = user
    return county, depts, versions, users


class _Rows:
    """Fast inserts: a model's column list and a template row of prepared defaults; rows override columns."""

    def __init__(self, model, connection, **template):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        obj = model(**template)
        self.template = [f.get_db_prep_save(f.pre_save(obj, True) if getattr(f, "auto_now", False) or getattr(
            f, "auto_now_add", False) else getattr(obj, f.attname), connection) for f in self.fields]
        self.connection = connection
        cols = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = connection.ops.quote_name(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from model meta

    def row(self, **values) -> list:
        row = list(self.template)
        for name, value in values.items():
            f = self.fields[self.index[name]]
            row[self.index[name]] = f.get_db_prep_save(value, self.connection)
        return row

    def insert(self, rows) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)


def generate(start: int, count: int, county, depts, versions, seed_time) -> None:
    """Cases ``start .. start+count``: 88 % delivered, 10 % in progress (one active step), 2 % awaiting acceptance.

    Rows are inserted with executemany from prepared templates (the ORM's bulk_create is several times slower)."""
    from django.db import connection, transaction

    from xiaoneng.cases.models import Case, CaseStep

    case_rows = _Rows(Case, connection, region_code=county.code, department=depts[0], item=versions[0].item,
                      item_version=versions[0], applicant_id_masked="3301**********0000")
    step_rows = _Rows(CaseStep, connection, region_code=county.code, department=depts[0])
    batch = 5000
    for offset in range(start, start + count, batch):
        rows, plan = [], []
        for n in range(offset, min(offset + batch, start + count)):
            d = n % DEPARTMENTS
            kind = (n // DEPARTMENTS) % 50  # 0 → submitted, 1..5 → open, rest → delivered
            submitted = seed_time - timedelta(minutes=n % 100000)
            status = "submitted" if kind == 0 else ("accepted" if kind <= 5 else "delivered")
            rows.append(case_rows.row(
                case_no=f"330122{n:018d}", department_id=depts[d].pk, item_id=versions[d].item_id,
                item_version_id=versions[d].pk, status=status, submitted_at=submitted,
                accepted_at=None if status == "submitted" else submitted + timedelta(hours=1),
                promised_due=None if status == "submitted" else submitted + timedelta(days=14),
                clock_state="normal" if status != "delivered" else "done",
                clock={"pre_acceptance_due": (submitted + timedelta(days=7)).isoformat()},
                applicant_name=f"申请人{n}",
            ))
            plan.append((n, d, status, (n // (DEPARTMENTS * 50)) % len(STEPS), submitted))
        with transaction.atomic():
            case_rows.insert(rows)
            first, last = f"330122{plan[0][0]:018d}", f"330122{plan[-1][0]:018d}"
            ids = dict(Case.objects.filter(case_no__gte=first, case_no__lte=last).values_list("case_no", "id"))
            steps = []
            for n, d, status, active_index, submitted in plan:
                case_id = ids[f"330122{n:018d}"]
                for i, (code, name, post, days) in enumerate(STEPS):
                    if status == "delivered":
                        st = "done"
                    elif status == "submitted":
                        st = "waiting"
                    else:
                        st = "done" if i < active_index else ("active" if i == active_index else "waiting")
                    started = submitted + timedelta(hours=1 + i) if st != "waiting" else None
                    steps.append(step_rows.row(
                        case_id=case_id, order=i + 1, code=code, name=name, post=post, department_id=depts[d].pk,
                        status=st, started_at=started,
                        due=started + timedelta(days=days + (case_id % 9) - 4) if started else None,
                    ))
            step_rows.insert(steps)


def measure(client, user, runs: int, path: str = "/staff/cases/") -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    times.sort()
    return {"median": statistics.median(times), "p95": times[max(int(len(times) * 0.95) - 1, 0)],
            "cpu": statistics.median(cpu), "queries": len(ctx.captured_queries), "bytes": len(response.content)}


def plan(user) -> str:
    from django.db import connection

    from xiaoneng.workbench import inbox
    from xiaoneng.workbench.access import actor_for

    qs = inbox.step_queryset(actor_for(user))[:20]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "; ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql, params)
        return "\n    ".join(row[0] for row in cursor.fetchall())


def remeasure(runs: int) -> int:
    from django.test import Client

    from xiaoneng.cases.models import Case
    from xiaoneng.org.models import User

    client = Client()
    users = {u.username.removeprefix("bench_"): u for u in User.objects.filter(username__startswith="bench_")}
    print(f"re-measuring on {Case.objects.count():,} existing cases; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"{'inbox of':<14}{'median ms':>11}{'p95 ms':>9}{'CPU ms':>8}{'queries':>9}")
    shell = measure(client, users["acceptor"], runs, "/staff/")
    for post, user in sorted(users.items()):
        r = measure(client, user, runs)
        print(f"{post:<14}{r['median']:>11.1f}{r['p95']:>9.1f}{r['cpu']:>8.1f}{r['queries']:>9}"
              f"   inbox / bare staff page CPU = {r['cpu'] / shell['cpu']:.2f}x")
    print(f"{'/staff/ shell':<14}{shell['median']:>11.1f}{shell['p95']:>9.1f}{shell['cpu']:>8.1f}{shell['queries']:>9}")
    print("step-list plan (clerk):", plan(users["acceptor"]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", help="directory for the SQLite database (kept afterwards)")
    args = parser.parse_args()
    data_dir = args.keep or tempfile.mkdtemp(prefix="xn-inbox-bench-")
    setup(data_dir)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from xiaoneng.cases.models import Case, CaseStep

    if Case.objects.exists():
        if not args.keep:
            print("the benchmark database is not empty; use an empty one", file=sys.stderr)
            return 2
        return remeasure(args.runs)  # --keep DIR of an earlier run: measure again without regenerating
    county, depts, versions, users = build_org()
    seed_time = timezone.now()
    client = Client()
    first = max(args.cases // 10, 1)
    results = {}
    t0 = time.perf_counter()
    generate(0, first, county, depts, versions, seed_time)
    gen_first = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics on both databases (PostgreSQL's autovacuum may lag)
    results["small"] = {post: measure(client, user, args.runs) for post, user in users.items()}
    t0 = time.perf_counter()
    generate(first, args.cases - first, county, depts, versions, seed_time)
    gen_rest = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics on both databases (PostgreSQL's autovacuum may lag)
    results["full"] = {post: measure(client, user, args.runs) for post, user in users.items()}
    results["page2"] = measure(client, users["reviewer1"], args.runs, "/staff/cases/?page=2")
    results["shell"] = measure(client, users["acceptor"], args.runs, "/staff/")  # the bare staff home page

    clerk = users["acceptor"]
    active = CaseStep.objects.filter(department=depts[0], status="active").count()
    print(f"database: {connection.vendor} ({data_dir})")
    print(f"cases: {Case.objects.count():,}  steps: {CaseStep.objects.count():,}  "
          f"generated in {gen_first + gen_rest:.1f} s; active steps of the clerk's department: {active:,}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times include waiting for a CPU)")
    print(f"{'inbox of':<14}{'cases':>10}{'median ms':>11}{'p95 ms':>9}{'CPU ms':>8}{'queries':>9}{'KiB':>6}")

    def line(label, n, r):
        print(f"{label:<14}{n:>10,}{r['median']:>11.1f}{r['p95']:>9.1f}{r['cpu']:>8.1f}{r['queries']:>9}"
              f"{r['bytes'] / 1024:>6.0f}")

    for key, n in (("small", first), ("full", args.cases)):
        for post, r in results[key].items():
            line(post, n, r)
    line("reviewer1 p.2", args.cases, results["page2"])
    line("/staff/ shell", args.cases, results["shell"])
    for post in users:
        ratio = results["full"][post]["cpu"] / results["small"][post]["cpu"]
        shell = results["full"][post]["cpu"] / results["shell"]["cpu"]
        print(f"{post}: CPU ratio 100 % / 10 % cases = {ratio:.2f}x; inbox / bare staff page = {shell:.2f}x")
    print("step-list plan (clerk):", plan(clerk))
    verdict = results["full"]["acceptor"]["median"] < 200
    print(f"clerk inbox median {results['full']['acceptor']['median']:.1f} ms — target < 200 ms: "
          f"{'OK' if verdict else 'MISSED'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    raise SystemExit(main())
