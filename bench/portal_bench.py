"""Portal benchmark: server time of the guide page (and search, query, disclosure) with 0 and with N cases.

Run: .venv/bin/python bench/portal_bench.py [--cases 1000000] [--items 1000] [--runs 200]
A temporary XN_DATA_DIR (SQLite) is used unless DATABASE_URL is set (then use a scratch database!). Cases are
bulk-inserted with one INSERT … SELECT over a recursive sequence, copying a case recorded through the write
path. The guide page must not query cases at all: the script checks the SQL it runs.
Prints median and p95 per page with 0 cases and with N cases, side by side, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["XN_DATA_DIR"] = tempfile.mkdtemp(prefix="xn-portal-bench-")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ.setdefault("XN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_catalogue(n_items: int):
    from decimal import Decimal

    from django.utils import timezone

    from xiaoneng.catalog.models import Fee, Item, ItemVersion, Material, Step, VersionStatus
    from xiaoneng.org.models import Department, Region

    city = Region.objects.create(code="330100000000", name="示例市", level="city")
    county = Region.objects.create(code="330122000000", name="示例县", level="county", parent=city)
    names = ["市场监督管理局", "住房和城乡建设局", "自然资源和规划局", "人力资源和社会保障局", "民政局", "卫生健康局",
             "交通运输局", "农业农村局", "教育局", "公安局", "生态环境局", "文化和旅游局", "水利局", "林业局",
             "商务局", "应急管理局", "退役军人事务局", "医疗保障局", "税务局", "司法局"]
    depts = [Department.objects.create(code=f"D{i:02d}", name=f"示例县{n}", region=county)
             for i, n in enumerate(names)]
    events = ["开办企业", "建房", "生育收养", "就业创业", "婚姻登记", "社会救助", "交通出行", "教育", "", ""]
    items = Item.objects.bulk_create([
        Item(code=f"BENCH-{i:05d}", name=f"{names[i % len(names)][:-1]}事项{i}号许可", item_type="01",
             department=depts[i % len(depts)], life_event=events[i % len(events)], keywords=f"关键词{i % 50} 许可")
        for i in range(n_items)])
    now = timezone.now()
    versions = ItemVersion.objects.bulk_create([
        ItemVersion(item=it, number=1, status=VersionStatus.PUBLISHED, statutory_days=20, promised_days=8,
                    legal_basis="《中华人民共和国行政许可法》第十二条", conditions="符合法定条件。",
                    location="示例县行政服务中心", consult_phone="0571-0000000", complaint_phone="12345",
                    published_at=now) for it in items])
    for it, v in zip(items, versions, strict=True):
        it.current_version = v
    Item.objects.bulk_update(items, ["current_version"])
    steps, fees, mats = [], [], []
    for v in versions:
        for o, (code, name, post, days) in enumerate([("accept", "受理", "acceptor", 1),
                                                      ("review1", "审查", "reviewer1", 4),
                                                      ("decide", "决定", "decider", 2),
                                                      ("notify", "办结告知", "notifier", 1)], 1):
            steps.append(Step(version=v, order=o, code=code, name=name, post=post, days=days))
        fees.append(Fee(version=v, code="F1", name="工本费", amount=Decimal("10.00"), basis="价格主管部门批复"))
        for o in range(1, 7):
            mats.append(Material(version=v, order=o, name=f"申请材料{o}"))
    Step.objects.bulk_create(steps)
    Fee.objects.bulk_create(fees)
    Material.objects.bulk_create(mats)
    return items, depts


def insert_cases(n: int, items, depts) -> float:
    """n cases copied from one recorded case, spread over departments and the last 365 days."""
    from django.db import connection
    from django.utils import timezone

    from xiaoneng.cases.models import Case
    from xiaoneng.cases.services import NewEvent, next_case_no, record_event_or_raise

    item = items[0]
    template = record_event_or_raise(NewEvent(
        case_no=next_case_no("330122000000"), type="submitted", occurred_at=timezone.now(), item_code=item.code,
        department_code=item.department.code, payload={"applicant": {"type": "person", "name": "样本"}}))
    cols = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    first_dept = min(d.pk for d in depts)
    exprs = []
    pg = connection.vendor == "postgresql"
    for c in cols:
        if c == "case_no":
            exprs.append("'B' || lpad(s.n::text, 10, '0')" if pg else "'B' || printf('%010d', s.n)")
        elif c == "department_id":
            exprs.append(f"{first_dept} + (s.n % {len(depts)})")
        elif c in ("submitted_at", "accepted_at", "decided_at", "promised_due"):
            shift = {"submitted_at": 0, "accepted_at": 1, "decided_at": 6, "promised_due": 9}[c]
            exprs.append(f"now() - ((s.n % 365) - {shift}) * interval '1 day'" if pg else
                         f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ((s.n % 365) - {shift}) || ' days')")
        elif c == "status":
            exprs.append("'decided'")
        elif c == "elapsed_seconds":
            exprs.append("(s.n % 9) * 25200")
        else:
            exprs.append(f"t.{connection.ops.quote_name(c)}")
    seq = (f"generate_series(1, {n}) AS s(n)" if pg else
           f"(WITH RECURSIVE q(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM q WHERE n < {n}) SELECT n FROM q) AS s")  # noqa: S608 - ints only
    # Built from model column names and integers only (no outside input).
    target = ", ".join(connection.ops.quote_name(c) for c in cols)
    sql = f"INSERT INTO cases_case ({target}) SELECT {', '.join(exprs)} FROM {seq}, cases_case t WHERE t.id = {template.pk}"  # noqa: E501, S608
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql)
        if not pg:
            cur.execute("ANALYZE")
    return time.perf_counter() - t0


def measure(client, url: str, runs: int, method: str = "get", data=None) -> tuple[float, float, float]:
    """(median wall ms, p95 wall ms, median CPU ms of this process); includes the test client's overhead."""
    fn = getattr(client, method)
    fn(url, data) if data else fn(url)  # warm up
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        r = fn(url, data) if data else fn(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code in (200, 404), (url, r.status_code)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    items, depts = build_catalogue(args.items)
    client = Client()
    code = items[len(items) // 2].code
    pages = {
        "guide page /guide/<code>/": ("get", f"/guide/{code}/", None),
        "search /guide/?q=两个词": ("get", "/guide/?q=许可 关键词7", None),
        "home /": ("get", "/", None),
        "query /query/ (wrong code)": ("post", "/query/", {"case_no": "B0000000042", "code": "WRONG"}),
        "disclosure /disclosure/?dept=": ("get", f"/disclosure/?dept={depts[0].code}", None),
    }
    from django.conf import settings

    settings.XN_PORTAL_QUERY_LIMIT = 10**9  # measure the lookup, not the limiter

    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/guide/{code}/")
    case_queries = [q["sql"] for q in ctx.captured_queries if "cases_case" in q["sql"]]
    print(f"guide page: {len(ctx.captured_queries)} SQL queries, {len(case_queries)} touching cases_case")

    before = {}
    for label, (method, url, data) in pages.items():
        cache.clear()
        before[label] = measure(client, url, args.runs if "disclosure" not in label else 20, method, data)
    secs = insert_cases(args.cases, items, depts)
    from xiaoneng.cases.models import Case

    total = Case.objects.count()
    print(f"inserted {args.cases:,} cases in {secs:.1f} s ({connection.vendor}); cases in DB: {total:,}")
    after = {}
    for label, (method, url, data) in pages.items():
        cache.clear()
        after[label] = measure(client, url, args.runs if "disclosure" not in label else 20, method, data)
    cache.clear()
    t0 = time.perf_counter()
    client.get("/disclosure/")
    cold = (time.perf_counter() - t0) * 1000

    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times include waiting for CPU)")
    print(f"\n{'page':34} {'0 cases med/p95 (cpu) ms':>26} {f'{total:,} cases med/p95 (cpu) ms':>32} {'ratio':>6}")
    for label in pages:
        (m0, p0, c0), (m1, p1, c1) = before[label], after[label]
        print(f"{label:34} {m0:7.1f} / {p0:6.1f} ({c0:5.1f}) {m1:13.1f} / {p1:6.1f} ({c1:5.1f}) {m1 / m0:6.2f}")
    print(f"\ndisclosure (all departments, monthly figures uncached): {cold:.0f} ms cold; cached for 10 min after")
    g = after["guide page /guide/<code>/"]
    if case_queries:
        print("FAIL: the guide page queries cases")
    print(f"guide page target <= 100 ms: median {g[0]:.1f} ms, p95 {g[1]:.1f} ms -> "
          f"{'OK' if g[1] <= 100 else 'OVER'}")


if __name__ == "__main__":
    main()
