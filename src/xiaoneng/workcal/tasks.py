"""Background tasks of the working calendar (run by ``xiaoneng worker``)."""

from django.tasks import task


@task()
def reproject_cases(run_id: int) -> int:
    """Re-project the open cases after a calendar change (enqueued on commit by ``schedule_reprojection``)."""
    from .services import run_reprojection

    return run_reprojection(run_id)
