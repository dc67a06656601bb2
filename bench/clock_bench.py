"""Case-clock micro-benchmark (pure Python, no database): µs per ``compute_clock(...)`` + the stored ``as_dict``.

Run:
  .venv/bin/python bench/clock_bench.py [--rounds 7] [--calls 2000] [--against REV] [--profile SHAPE]

The case engine (``cases.services``) calls ``compute_clock`` once for every case a batch touches, then
``clock.as_dict(omit=STORED_IN_COLUMNS)`` (``deadlines=False`` before 2026-12-04); this measures exactly that pair for a few case shapes, on the official
calendar (``official_schedule()``, office hours 08:30–12:00 / 14:00–17:30), events in Asia/Shanghai (as the
engine passes them), the default ``DeadlinePolicy``, an item of five sequential steps of 2 days and
statutory 20 / promised 10 working days:

* ``closed``: submitted, accepted, step_completed, decided, delivered (the ingestion benchmarks' case);
* ``open``: submitted, accepted;
* ``suspended``: submitted, accepted, step_completed, suspended (open special procedure);
* ``resumed``: submitted, accepted, suspended, resumed, extended, correction_requested, correction_completed;
* ``parallel``: submitted, accepted, one step of a parallel group of three (default approval runs);
* ``natural``: ``closed`` on a natural-day item.

``--against REV`` also loads ``cases/clock.py`` and ``workcal/worktime.py`` as they are at git revision REV (e.g.
``HEAD~3``) and times both side by side, interleaved round by round (this VM's CPU speed drifts, so only the
ratio measured in one run means much); it first checks the two give identical ``as_dict()`` and ISO strings on
every shape. ``--profile SHAPE`` prints a cProfile of the current code on one shape instead.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TZ = ZoneInfo("Asia/Shanghai")
SHAPES = ("closed", "open", "suspended", "resumed", "parallel", "natural")


def load_modules(rev: str | None):
    """(clock module, worktime module): the working tree's, or the files at git revision ``rev``."""
    if rev is None:
        from xiaoneng.cases import clock
        from xiaoneng.workcal import worktime

        return clock, worktime
    out = []
    tmp = Path(tempfile.mkdtemp(prefix="clock_bench_"))
    for name, path in (
        ("clock", "src/xiaoneng/cases/clock.py"),
        ("worktime", "src/xiaoneng/workcal/worktime.py"),
    ):
        source = subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        file = tmp / f"{name}.py"
        file.write_text(source)
        module_name = f"_clock_bench_{name}_ref"
        spec = importlib.util.spec_from_file_location(module_name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        out.append(module)
    return tuple(out)


def workload(clock, worktime, shape: str):
    """(events, terms, calendar, now, policy) for one shape, built from the given modules' classes."""
    holidays, workdays, years = worktime.official_schedule()
    cal = worktime.WorkCalendar(holidays, workdays, confirmed_years=years)
    two_days = [clock.StepTerm(f"s{i}", f"step {i}", 2) for i in range(5)]
    terms = clock.Terms(statutory_days=20, promised_days=10, steps=tuple(two_days))
    t0 = datetime(2025, 11, 3, 9, 15, 12, tzinfo=TZ)

    def ev(type_, hours, seq=0, **payload):
        return clock.ClockEvent(type_, t0 + timedelta(hours=hours), payload, seq)

    now = t0 + timedelta(days=9, hours=3)
    if shape in ("closed", "natural"):
        events = [
            ev("submitted", 0, channel="online"),
            ev("accepted", 2, 1),
            ev("step_completed", 20, 2, step="s0"),
            ev("decided", 100, 3, result="approved", document_no="X-1"),
            ev("delivered", 120, 4),
        ]
        now = t0 + timedelta(days=6)
        if shape == "natural":
            terms = clock.Terms(
                unit="natural_day", statutory_days=20, promised_days=10, steps=tuple(two_days)
            )
    elif shape == "open":
        events = [ev("submitted", 0, channel="online"), ev("accepted", 2, 1)]
    elif shape == "suspended":
        events = [
            ev("submitted", 0, channel="online"),
            ev("accepted", 2, 1),
            ev("step_completed", 20, 2, step="s0"),
            ev("suspended", 50, 3, reason="hearing", workdays=5),
        ]
    elif shape == "resumed":
        events = [
            ev("submitted", 0),
            ev("accepted", 2, 1),
            ev("suspended", 26, 2, reason="hearing", workdays=3),
            ev("resumed", 70, 3),
            ev("extended", 74, 4, workdays=5, approver="x"),
            ev("correction_requested", 98, 5),
            ev("correction_completed", 120, 6),
        ]
        now = t0 + timedelta(days=12)
    elif shape == "parallel":
        steps = (
            clock.StepTerm("a", "a", 1),
            clock.StepTerm("p1", "p1", 2, "g"),
            clock.StepTerm("p2", "p2", 2, "g"),
            clock.StepTerm("p3", "p3", 3, "g"),
            clock.StepTerm("z", "z", 2),
        )
        terms = clock.Terms(statutory_days=20, promised_days=10, steps=steps)
        events = [
            ev("submitted", 0),
            ev("accepted", 2, 1),
            ev("step_completed", 20, 2, step="a"),
            ev("step_completed", 50, 3, step="p1"),
        ]
    else:
        raise SystemExit(f"unknown shape {shape!r} (one of {', '.join(SHAPES)})")
    return events, terms, cal, now, clock.DeadlinePolicy()


def stored_document(clock):
    """``Clock -> dict`` as the engine of that revision stores it: ``as_dict(omit=STORED_IN_COLUMNS)`` since
    2026-12-04, ``as_dict(deadlines=False)`` before (``--against`` an older revision)."""
    omit = getattr(clock, "STORED_IN_COLUMNS", None)
    if omit is None:
        return lambda c: c.as_dict(deadlines=False)
    return lambda c: c.as_dict(omit=omit)


def one_call(clock, args):
    c = clock.compute_clock(*args)
    return c, stored_document(clock)(c)


def fresh_copies(clock, events, calls: int) -> list[list]:
    """``calls`` copies of the events with datetime objects of their own, as the engine builds them per call
    (``occurred_at.astimezone(tz)``): nothing is shared between calls that the engine would not share."""
    zero = timedelta(0)
    return [
        [clock.ClockEvent(e.type, e.occurred_at + zero, dict(e.payload), e.seq) for e in events]
        for _ in range(calls)
    ]


def us_per_call(clock, args, copies: list[list]) -> float:
    compute, store = clock.compute_clock, stored_document(clock)
    _events, terms, cal, now, policy = args
    started = time.perf_counter()
    for events in copies:
        store(compute(events, terms, cal, now, policy))
    return (time.perf_counter() - started) / len(copies) * 1e6


def fingerprint(c, _stored) -> tuple:
    """What must agree between revisions: the whole clock (the stored documents differ by design)."""
    return (
        json.dumps(c.as_dict(), sort_keys=True),
        tuple((d.rule, d.level, d.step, d.at.isoformat()) for d in c.deadlines),
        c.next_check_at.isoformat() if c.next_check_at else None,
        c.state,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--against", metavar="REV", help="also time the modules at this git revision")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--profile", metavar="SHAPE")
    opts = parser.parse_args()

    current = load_modules(None)
    if opts.profile:
        args = workload(*current, opts.profile)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [one_call(current[0], args) for _ in range(opts.calls)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    impls = {"current": current}
    if opts.against:
        impls[opts.against] = load_modules(opts.against)

    shapes = opts.shapes.split(",")
    inputs = {name: {shape: workload(*mods, shape) for shape in shapes} for name, mods in impls.items()}
    if opts.against:
        for shape in shapes:
            results = {fingerprint(*one_call(impls[n][0], inputs[n][shape])) for n in impls}
            if len(results) != 1:
                raise SystemExit(f"{shape}: the implementations disagree")
        print(f"identical results on {len(shapes)} shapes")

    copies = {
        (name, shape): fresh_copies(impls[name][0], inputs[name][shape][0], opts.calls)
        for name in impls
        for shape in shapes
    }
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(opts.rounds):
        for shape in shapes:
            for name, mods in impls.items():
                timings.setdefault((name, shape), []).append(
                    us_per_call(mods[0], inputs[name][shape], copies[(name, shape)])
                )

    header = f"{'shape':<10}" + "".join(f"{name + ' µs (min)':>24}" for name in impls)
    print(header + (f"{'ratio':>8}" if opts.against else ""))
    for shape in shapes:
        medians = [statistics.median(timings[(name, shape)]) for name in impls]
        lows = [min(timings[(name, shape)]) for name in impls]
        line = f"{shape:<10}" + "".join(
            f"{m:>16.1f} ({low:5.1f})" for m, low in zip(medians, lows, strict=True)
        )
        if opts.against:
            line += f"{medians[1] / medians[0]:>7.2f}×"
        print(line)
    print(
        f"(median and fastest of {opts.rounds} rounds × {opts.calls} calls, each on its own copy of the events; "
        "compute_clock + the stored as_dict; ratio of the medians)"
    )


if __name__ == "__main__":
    main()
