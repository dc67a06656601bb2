"""``xiaoneng worker``: runs queued background tasks and the periodic jobs (the supervision sweep, …)."""

import logging
import signal
import time
import uuid

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from xiaoneng.core import periodic
from xiaoneng.core.runtime import tune_gc

logger = logging.getLogger("xiaoneng.worker")


class Command(BaseCommand):
    help = "Run background tasks and periodic jobs (supervision sweep, escalations, scoring)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Drain the queue and run every job once, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep between polls.")

    def handle(self, *args, once=False, interval=1.0, **options):
        tune_gc()
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        worker_id = f"xn-{uuid.uuid4().hex[:8]}"
        last_run: dict[str, float] = {}
        self.stdout.write(f"worker {worker_id}: jobs {', '.join(j.name for j in periodic.jobs()) or '(none)'}")
        while self.running:
            close_old_connections()
            Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                   max_tasks=100, worker_id=worker_id, excluded_queue_names=[]).run()
            now = time.monotonic()
            for job in periodic.jobs():
                if once or now - last_run.get(job.name, -1e18) >= job.interval_seconds:
                    last_run[job.name] = now
                    try:
                        job.func()
                    except Exception:  # a failing job is logged and retried at its next interval
                        logger.exception("periodic job %s failed", job.name)
            if once:
                break
            time.sleep(interval)

    def _stop(self, signum, frame):
        self.running = False
