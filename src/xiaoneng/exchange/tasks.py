"""Background tasks of the exchange app (run by ``xiaoneng worker``)."""

from pathlib import Path

from django.tasks import task


@task()
def run_import_task(path: str, system_id: int | None, resume: bool, file_name: str, user: str) -> int:
    """Import an uploaded file (admin upload of a large file); the uploaded copy is removed afterwards."""
    from .importer import run_import
    from .models import SourceSystem

    system = SourceSystem.objects.get(pk=system_id) if system_id else None
    try:
        job = run_import(Path(path), system=system, resume=resume, file_name=file_name, user=user,
                         store_report=True)
    finally:
        Path(path).unlink(missing_ok=True)
    return job.pk
