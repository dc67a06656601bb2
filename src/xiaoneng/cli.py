"""The ``xiaoneng`` command: Django's manage.py with Xiaoneng's settings preset."""

import os
import sys


def main() -> None:
    if sys.version_info < (3, 12):  # noqa: UP036 — a clear message when run by an older interpreter
        sys.exit("xiaoneng needs Python 3.12 or newer (Django 6); this is " + sys.version.split()[0])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, ProgrammingError) as exc:
        # A database that is missing, unreachable or not migrated: one clear line, no traceback.
        sys.exit(f"xiaoneng: database error: {str(exc).splitlines()[0]} "
                 "(is DATABASE_URL right, and has `xiaoneng migrate` been run?)")


if __name__ == "__main__":
    main()
