"""``xiaoneng serve``: the embedded production-grade web server (gunicorn) with static files by WhiteNoise."""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web application with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("XN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("XN_WEB_WORKERS", "2")))

    def handle(self, *args, bind, workers, **options):
        args = [sys.executable, "-m", "gunicorn", "xiaoneng.wsgi:application", "--bind", bind,
                "--workers", str(workers), "--threads", "4", "--access-logfile", "-", "--timeout", "60"]
        os.execv(sys.executable, args)
