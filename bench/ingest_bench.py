"""Exchange ingestion benchmark (PostgreSQL): POST /api/v1/events vs a naive ORM path vs COPY.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/xn_ingest_bench .venv/bin/python bench/ingest_bench.py
      [--events 20000] [--naive-events 3000] [--mode stream|whole] [--server client|gunicorn] [--workers 2]
      [--profile] [--backfill]

A scratch database (created if missing; case, event, alert and quarantine tables emptied) gets one county
department with a published five-step item and a registered source system. The same synthetic workload —
cases of five events each (submitted, accepted, step_completed, decided, delivered) — is then recorded, side by
side in one run:
* **http**: through ``POST /api/v1/events`` in batches of 1000 (the Django test Client in process, or a real
  gunicorn on 127.0.0.1 with ``--server gunicorn``), i.e. auth, rate limit, parsing, the single write path
  ``cases.services.record_events`` (hash chain, clock derivation, step projection, supervision signal);
* **naive**: one ORM transaction per event (look up / create the case, append the event with its hash, update
  the case), the way a straightforward per-event implementation would write — on ``--naive-events`` events;
* **copy**: PostgreSQL ``COPY`` of the same case and event rows into the tables: the physical ceiling.
``--mode stream`` (default) spreads each case's five events over five consecutive batches (every batch touches
cases that already have history, like a live feed); ``--mode whole`` sends each case's events together.
With ``--server gunicorn`` each worker gets a sender thread with a stream of its own (disjoint cases), the
senders posting at once. The events of a case span 21 hours ending about two hours before the run (a live feed:
reported within the 24 h of late_report, no limit passed yet); ``--backfill`` dates them four months back, as
the figures before 2026-12-03 did (every case then also raises late-report cards, and in stream mode the open
cases' time cards).
Events/s and the ratios are printed, and the CPU time each path took per event (its Python processes — this one,
or the gunicorn master and workers — and every PostgreSQL process, read from ``/proc``): on a shared machine the
CPU per event varies far less between runs than the wall-clock rate, so it is the figure to compare two versions
of the code by. ``--profile`` adds a cProfile of the http path (in-process client only).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xn_ingest_bench"
BATCH = 1000
STEPS = ["accept", "review1", "review2", "decide", "notify"]


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ.setdefault("XN_LOG_LEVEL", "WARNING")
    os.environ["XN_API_RATE_PER_MINUTE"] = "0"  # no rate limit while benchmarking
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def reset_and_fixtures():
    from django.db import connection
    from django.utils import timezone

    from xiaoneng.catalog.models import Fee, Item, ItemVersion, Step
    from xiaoneng.exchange.keys import create_system
    from xiaoneng.exchange.models import SourceSystem
    from xiaoneng.org.models import Department, Region

    tables = [t for t in connection.introspection.table_names() if t.startswith(("cases_", "supervision_alert",
                                                                               "supervision_"))]
    tables += ["exchange_quarantinedevent", "exchange_ratewindow", "exchange_apikey"]
    keep = {"supervision_ruleconfig"}
    with connection.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables if t not in keep) + " CASCADE")
    SourceSystem.objects.all().delete()
    region, _ = Region.objects.get_or_create(code="330122000000", defaults={"name": "基准县", "level": "county"})
    dept, _ = Department.objects.get_or_create(code="BENCH", defaults={"name": "基准部门", "region": region})
    item = Item.objects.filter(code="BENCH-ITEM").first()
    if item is None:
        item = Item.objects.create(code="BENCH-ITEM", name="基准事项", item_type="01", department=dept)
        version = ItemVersion.objects.create(item=item, number=1, status="published", statutory_days=20,
                                             promised_days=10, published_at=timezone.now())
        for order, code in enumerate(STEPS, start=1):
            Step.objects.create(version=version, order=order, code=code, name=code, post="acceptor", days=2)
        Fee.objects.create(version=version, code="F01", name="工本费", amount="10.00")
        item.current_version = version
        item.save(update_fields=["current_version"])
    system, key = create_system(code="BENCH-SYS", name="基准系统", department_codes=["BENCH"])
    return system, key, item


# --- CPU accounting (/proc) -----------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # the process ended


def _cpu(fields: list[str]) -> float:
    """utime + stime + cutime + cstime (ended children the process has waited for count to it), in seconds."""
    return sum(int(x) for x in fields[11:15]) / _TICK


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its living descendants (a gunicorn master and its workers)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = int(fields[1]), _cpu(fields)
    total, frontier = cpu.get(root, 0.0), [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        total += sum(cpu[pid] for pid in children)
        frontier = children
    return total


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process (backends that ended count to the postmaster, which reaps them)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(f"/proc/{entry.name}/comm").read_text().strip() != "postgres":
                    continue
            except OSError:
                continue
            if (fields := _stat(entry.name)) is not None:
                total += _cpu(fields)
    return total


def cpu_line(label: str, n: int, app_s: float, pg_s: float) -> str:
    return (f"{label} CPU per event: app {1e6 * app_s / n:6.0f} µs + postgres {1e6 * pg_s / n:5.0f} µs "
            f"= {1e6 * (app_s + pg_s) / n:6.0f} µs")


# --- the workload ------------------------------------------------------------------------------------------


def case_events(case_no: str, t0: datetime) -> list[dict]:
    def at(minutes):
        return (t0 + timedelta(minutes=minutes)).isoformat()

    actor = {"id": "u1", "name": "李四"}
    return [
        {"event_id": f"{case_no}-1", "case_no": case_no, "type": "submitted", "occurred_at": at(0),
         "item_code": "BENCH-ITEM", "department": "BENCH",
         "payload": {"applicant": {"type": "person", "name": "张三", "id_no": "330122199001011234"},
                     "channel": "window"}},
        {"event_id": f"{case_no}-2", "case_no": case_no, "type": "accepted", "occurred_at": at(30), "actor": actor},
        {"event_id": f"{case_no}-3", "case_no": case_no, "type": "step_completed", "occurred_at": at(60),
         "actor": actor, "payload": {"step": "accept", "outcome": "pass", "opinion": "同意"}},
        {"event_id": f"{case_no}-4", "case_no": case_no, "type": "decided", "occurred_at": at(20 * 60),
         "actor": actor, "payload": {"result": "approved", "document_no": f"许{case_no}"}},
        {"event_id": f"{case_no}-5", "case_no": case_no, "type": "delivered", "occurred_at": at(21 * 60),
         "actor": actor, "payload": {"method": "window"}},
    ]


BACKFILL_T0 = datetime(2026, 8, 2, 9, 0, tzinfo=UTC)  # the figures before 2026-12-03 used this


def live_t0() -> datetime:
    """Submissions 23 h before now: every event of a case (over 21 h) is in the past and reported within the
    24 h of the late_report rule, and no time limit has passed yet — a live feed."""
    return datetime.now(UTC) - timedelta(hours=23)


def workload(prefix: str, n_events: int, mode: str, t0: datetime | None = None) -> list[list[dict]]:
    """Batches of 1000 events. stream: batch k = stage s of case group k - s (s = 0..4). Case i starts
    ``i mod 3600`` seconds after ``t0`` (default :func:`live_t0`)."""
    per_case = 5
    n_cases = max(1, n_events // per_case)
    t0 = t0 or live_t0()
    cases = [case_events(f"{prefix}{i:07d}", t0 + timedelta(seconds=i % 3600)) for i in range(n_cases)]
    if mode == "whole":
        flat = [e for c in cases for e in c]
        return [flat[i:i + BATCH] for i in range(0, len(flat), BATCH)]
    group = BATCH // per_case
    groups = [cases[i:i + group] for i in range(0, len(cases), group)]
    batches = []
    for k in range(len(groups) + per_case - 1):
        batch = []
        for stage in range(per_case):
            g = k - stage
            if 0 <= g < len(groups):
                batch.extend(c[stage] for c in groups[g])
        batches.append(batch)
    return batches


# --- (http) the exchange API ---------------------------------------------------------------------------------


def run_http_client(batches, key, profile: bool):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    bodies = [json.dumps({"events": b}, ensure_ascii=False) for b in batches]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    # Warm up like a running server: the first request imports the URL conf and the API (≈0.8 s, not ingestion).
    assert client.get("/api/v1/items", **headers).status_code == 200
    prof = cProfile.Profile() if profile else None
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    cpu0, pg0 = time.process_time(), postgres_cpu()
    started = time.perf_counter()
    if prof:
        prof.enable()
    for body in bodies:
        r = client.post("/api/v1/events", data=body, content_type="application/json", **headers)
        assert r.status_code == 200, r.content[:500]
        data = r.json()
        for k in counts:
            counts[k] += data[k]
    if prof:
        prof.disable()
    elapsed = time.perf_counter() - started
    cpu = (time.process_time() - cpu0, postgres_cpu() - pg0)
    return elapsed, counts, cpu, prof


def run_http_gunicorn(streams, key, url, workers: int):
    """``streams``: one list of batches per sender thread; each sender posts its batches in order (a stream's
    batches depend on the earlier ones), the senders run at once (several source systems reporting)."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    port = 8765
    env = {**os.environ, "DATABASE_URL": url, "XN_API_RATE_PER_MINUTE": "0", "XN_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "xiaoneng.wsgi:application", "-b",
                             f"127.0.0.1:{port}", "-w", str(workers), "--timeout", "300", "--log-level", "warning"],
                            env=env, cwd=str(ROOT))
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.3)
        stream_bodies = [[json.dumps({"events": b}, ensure_ascii=False).encode() for b in batches]
                         for batches in streams]
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}

        def warm(_):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/api/v1/items", headers={"Authorization": f"Bearer {key}"})
            conn.getresponse().read()

        with ThreadPoolExecutor(max_workers=2 * workers) as pool:  # concurrent, so every worker gets one
            list(pool.map(warm, range(4 * workers)))

        def post(body):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            conn.request("POST", "/api/v1/events", body=body,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status == 200, data[:500]
            return json.loads(data)

        def send(bodies):
            return [post(body) for body in bodies]

        cpu0, pg0 = tree_cpu(proc.pid), postgres_cpu()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(stream_bodies)) as pool:
            for results in pool.map(send, stream_bodies):
                for data in results:
                    for k in counts:
                        counts[k] += data[k]
        elapsed = time.perf_counter() - started
        cpu = (tree_cpu(proc.pid) - cpu0, postgres_cpu() - pg0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return elapsed, counts, cpu


# --- (naive) one ORM transaction per event --------------------------------------------------------------------


def run_naive(events):
    from django.db import transaction

    from xiaoneng.cases import chain
    from xiaoneng.cases.models import Case, CaseEvent
    from xiaoneng.catalog.models import Item
    from xiaoneng.exchange.parsing import parse_timestamp
    from xiaoneng.org.models import Department

    item = Item.objects.get(code="BENCH-ITEM")
    dept = Department.objects.get(code="BENCH")
    cpu0, pg0 = time.process_time(), postgres_cpu()
    started = time.perf_counter()
    for e in events:
        with transaction.atomic():
            occurred = parse_timestamp(e["occurred_at"])
            received = datetime.now(UTC)
            if CaseEvent.objects.filter(source_system="BENCH-SYS", event_id=e["event_id"]).exists():
                continue
            if e["type"] == "submitted":
                case = Case.objects.create(case_no=e["case_no"], region_code="330122000000", department=dept,
                                           item=item, item_version_id=item.current_version_id,
                                           source_system="BENCH-SYS", submitted_at=occurred)
            else:
                case = Case.objects.select_for_update().get(case_no=e["case_no"])
            seq = case.event_count + 1
            actor = e.get("actor") or {}
            h = chain.event_hash(case_no=case.case_no, seq=seq, source_system="BENCH-SYS", event_id=e["event_id"],
                                 type=e["type"], occurred_at=occurred, received_at=received,
                                 actor_id=actor.get("id", ""), actor_name=actor.get("name", ""), acting_for="",
                                 payload=e.get("payload", {}), prev_hash=case.last_hash)
            CaseEvent(case=case, region_code=case.region_code, department_id=case.department_id, seq=seq,
                      source_system="BENCH-SYS",
                      event_id=e["event_id"], type=e["type"], occurred_at=occurred, received_at=received,
                      actor_id=actor.get("id", ""), actor_name=actor.get("name", ""), payload=e.get("payload", {}),
                      prev_hash=case.last_hash, hash=h).save()
            case.event_count, case.last_hash = seq, h
            case.status = {"accepted": "accepted", "decided": "decided", "delivered": "delivered"}.get(
                e["type"], case.status)
            case.save()
    return time.perf_counter() - started, (time.process_time() - cpu0, postgres_cpu() - pg0)


# --- (copy) PostgreSQL COPY ------------------------------------------------------------------------------------


def run_copy(events):
    from django.db import connection, transaction

    from xiaoneng.cases.models import Case, CaseEvent
    from xiaoneng.catalog.models import Item
    from xiaoneng.exchange.parsing import parse_timestamp
    from xiaoneng.org.models import Department

    item = Item.objects.get(code="BENCH-ITEM")
    dept = Department.objects.get(code="BENCH")
    now = datetime.now(UTC)
    case_nos = list(dict.fromkeys(e["case_no"] for e in events))
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    case_cols = [f.column for f in fields]
    started = time.perf_counter()
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {Case._meta.db_table} ({', '.join(case_cols)}) FROM STDIN") as copy:
                for no in case_nos:
                    obj = Case(case_no=no, region_code="330122000000", department=dept, item=item,
                               item_version_id=item.current_version_id, source_system="BENCH-SYS", event_count=5,
                               created_at=now, updated_at=now)
                    copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])
            cur.execute(f"SELECT case_no, id FROM {Case._meta.db_table} WHERE case_no = ANY(%s)",  # noqa: S608
                        [case_nos])
            ids = dict(cur.fetchall())
            ev_cols = ["case_id", "region_code", "department_id", "seq", "source_system", "event_id", "type", "occurred_at",
                       "received_at", "actor_id", "actor_name", "acting_for", "payload", "prev_hash", "hash"]
            seqs: dict[str, int] = {}
            with cur.copy(f"COPY {CaseEvent._meta.db_table} ({', '.join(ev_cols)}) FROM STDIN") as copy:
                for e in events:
                    seq = seqs[e["case_no"]] = seqs.get(e["case_no"], 0) + 1
                    actor = e.get("actor") or {}
                    payload = json.dumps(e.get("payload", {}), ensure_ascii=False)
                    copy.write_row([ids[e["case_no"]], "330122000000", dept.pk, seq, "BENCH-SYS", e["event_id"], e["type"],
                                    parse_timestamp(e["occurred_at"]), now, actor.get("id", ""),
                                    actor.get("name", ""), "", payload, "",
                                    hashlib.sha256(payload.encode()).hexdigest()])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--naive-events", type=int, default=3000)
    parser.add_argument("--mode", choices=["stream", "whole"], default="stream")
    parser.add_argument("--server", choices=["client", "gunicorn"], default="client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile-dump", help="also write the profile to this file (for pstats / snakeviz)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--backfill", action="store_true",
                        help="events four months old (late reports: late_report cards, and in stream mode every "
                             "time card of the open cases) instead of a live feed of the last 23 hours")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    setup_django(url)
    system, key, item = reset_and_fixtures()

    senders = args.workers if args.server == "gunicorn" else 1
    t0 = BACKFILL_T0 if args.backfill else live_t0()
    streams = [workload(f"H{w}-", args.events // senders, args.mode, t0) for w in range(senders)]
    batches = [b for stream in streams for b in stream]
    n_http = sum(len(b) for b in batches)
    print(f"workload: {n_http} events in {len(batches)} batches of ≤{BATCH} ({args.mode}), "
          f"5 events per case, server={args.server}, {senders} sender(s) at once, "
          f"{'backfill (events from ' + t0.date().isoformat() + ')' if args.backfill else 'live feed (last 23 h)'}")
    if args.server == "client":
        http_s, counts, http_cpu, prof = run_http_client(batches, key, args.profile)
    else:
        http_s, counts, http_cpu = run_http_gunicorn(streams, key, url, args.workers)
        prof = None
    assert counts["accepted"] == n_http, counts

    naive_events = [e for b in workload("N", args.naive_events, "whole", t0) for e in b]
    naive_s, naive_cpu = run_naive(naive_events)
    copy_events = [e for b in workload("P", args.events, "whole", t0) for e in b]
    copy_s = run_copy(copy_events)

    http_rate = n_http / http_s
    naive_rate = len(naive_events) / naive_s
    copy_rate = len(copy_events) / copy_s
    print(f"http  (POST /api/v1/events): {n_http:>8} events in {http_s:7.2f} s = {http_rate:9.0f} events/s")
    print(f"naive (ORM, 1 tx per event): {len(naive_events):>8} events in {naive_s:7.2f} s = {naive_rate:9.0f} events/s")
    print(f"copy  (PostgreSQL COPY)    : {len(copy_events):>8} events in {copy_s:7.2f} s = {copy_rate:9.0f} events/s")
    print(f"ratios: http/naive = {http_rate / naive_rate:.1f}x   copy/http = {copy_rate / http_rate:.1f}x   "
          f"(targets: http >= 5000 events/s, http/naive >= 20x)")
    print(cpu_line("http ", n_http, *http_cpu))
    print(cpu_line("naive", len(naive_events), *naive_cpu))
    if prof is not None:
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(40)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
        if args.profile_dump:
            prof.dump_stats(args.profile_dump)


if __name__ == "__main__":
    main()
