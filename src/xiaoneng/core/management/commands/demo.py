"""``xiaoneng demo``: create the embedded database, load the demo county, run web + worker."""

import subprocess
import sys

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from xiaoneng.core import demo, demo_activity


class Command(BaseCommand):
    help = "Create the database, load the demo county and start the web server and the worker."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Only build the demo data.")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)

    def handle(self, *args, no_serve=False, bind="127.0.0.1:8000", seed=demo.DEFAULT_SEED, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if "calendar" in get_commands():
            call_command("calendar", "sync")
        logins = demo.build(seed=seed)
        activity = demo_activity.build_activity(seed=seed)
        self.stdout.write(activity.summary())
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 (demo county ready)."))
        self.stdout.write(f"  公众门户 / public site:  http://{bind}/")
        self.stdout.write(f"  工作平台 / staff site:   http://{bind}/staff/")
        self.stdout.write(f"  管理后台 / admin:        http://{bind}/admin/")
        self.stdout.write("  演示账号 / demo logins (username / password / role):")
        for username, password, role in logins:
            self.stdout.write(f"    {username:<16} {password:<14} {role}")
        if no_serve:
            return
        worker = subprocess.Popen([sys.executable, "-m", "xiaoneng.cli", "worker"])
        try:
            # `serve` replaces its process with gunicorn, so it runs as a child: stopping the demo stops both.
            subprocess.run([sys.executable, "-m", "xiaoneng.cli", "serve", "--bind", bind], check=False)
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            worker.wait(timeout=30)
