"""Periodic jobs run by ``xiaoneng worker`` (the supervision sweep, escalations, monthly scoring …).

Apps register their jobs in ``AppConfig.ready``; every job must be idempotent because a worker may be
restarted at any time and several workers may run on PostgreSQL.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: int
    func: Callable[[], object]


_jobs: dict[str, PeriodicJob] = {}


def register(name: str, interval_seconds: int, func: Callable[[], object]) -> None:
    _jobs[name] = PeriodicJob(name, interval_seconds, func)


def jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)
