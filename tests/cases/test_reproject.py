"""A calendar change re-projects the clocks of open cases in the affected region (a workcal background task,
run here by the immediate task backend when the change commits)."""

from datetime import date

import pytest

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases.models import Case
from xiaoneng.cases.services import record_events, reproject_region
from xiaoneng.workcal import services as workcal


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _open_case(county, no="R1"):
    record_events([submitted(no, at(2025, 11, 3, 8, 40), county), ev(no, "accepted", at(2025, 11, 3, 9))],
                  received_at=at(2025, 11, 3, 10))
    return Case.objects.get(case_no=no)


def test_local_closure_moves_the_due_date(county, django_capture_on_commit_callbacks):
    case = _open_case(county)
    assert case.promised_due == at(2025, 11, 17, 17, 30)
    with django_capture_on_commit_callbacks(execute=True):
        workcal.set_override(date(2025, 11, 10), "holiday", "台风停工", region=county.county.code)
    case.refresh_from_db()
    assert case.promised_due == at(2025, 11, 18, 17, 30)


def test_change_in_another_region_leaves_cases_alone(county, django_capture_on_commit_callbacks):
    from tests.factories import make_region

    case = _open_case(county)
    other = make_region("330200000000", "别的市", "city")
    with django_capture_on_commit_callbacks(execute=True):
        workcal.set_override(date(2025, 11, 10), "holiday", "本地停工", region=other.code)
    case.refresh_from_db()
    assert case.promised_due == at(2025, 11, 17, 17, 30)


def test_closed_cases_are_not_reprojected(county):
    case = _open_case(county)
    record_events([ev("R1", "withdrawn", at(2025, 11, 4, 9))], received_at=at(2025, 11, 4, 10))
    assert reproject_region(None) == 0
    case.refresh_from_db()
    assert case.status == "withdrawn"
