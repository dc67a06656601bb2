"""A calendar change re-projects open cases in the background: queued on commit, chunked, resumable, visible."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases.models import Case
from xiaoneng.cases.services import record_events
from xiaoneng.workcal import services
from xiaoneng.workcal.models import CalendarChange, Reprojection, ReprojectionStatus
from xiaoneng.workcal.tasks import reproject_cases

pytestmark = pytest.mark.django_db

HOLIDAY = date(2025, 11, 10)  # a Monday inside the cases' promised term
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _open_case(county, no="R1") -> Case:
    record_events([submitted(no, at(2025, 11, 3, 8, 40), county), ev(no, "accepted", at(2025, 11, 3, 9))],
                  received_at=at(2025, 11, 3, 10))
    return Case.objects.get(case_no=no)


def _clock(case) -> tuple:
    case.refresh_from_db()
    return case.promised_due, case.next_check_at


def _queued_runs() -> list[int]:
    from django_tasks_db.models import DBTaskResult

    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path__endswith="reproject_cases")]


def test_admin_holiday_moves_the_open_case_after_the_task_runs(county, admin_client,
                                                               django_capture_on_commit_callbacks):
    case = _open_case(county)
    before = _clock(case)
    assert before[0] == at(2025, 11, 17, 17, 30) and before[1] is not None
    with django_capture_on_commit_callbacks() as callbacks:  # the request's own work, before its commit
        response = admin_client.post("/admin/workcal/calendarday/add/", {
            "date": HOLIDAY.isoformat(), "kind": "holiday", "region": county.county.pk, "reason": "台风停工"})
    assert response.status_code == 302
    assert _clock(case) == before  # the request did not re-derive the case
    run = Reprojection.objects.get()
    assert (run.status, run.region_code, run.dates) == ("pending", county.county.code, [HOLIDAY.isoformat()])
    assert CalendarChange.objects.get().reprojection == run
    # The commit enqueues the task (the database backend queues a row for ``xiaoneng worker``) …
    enqueue = [cb for cb in callbacks if getattr(cb, "func", None) is services._enqueue]
    assert len(enqueue) == 1
    enqueue[0]()
    assert _queued_runs() == [run.pk]
    # … and the worker running it moves the promised due by the closed day, and the next check with it.
    assert reproject_cases.call(run.pk) == 1
    promised, next_check = _clock(case)
    assert promised == at(2025, 11, 18, 17, 30)
    assert next_check != before[1]
    run.refresh_from_db()
    assert (run.status, run.total, run.done) == ("done", 1, 1) and run.finished_at is not None
    html = admin_client.get("/admin/workcal/calendarchange/").content.decode()
    assert "已完成（1 件）" in html
    assert "已完成（1 件）" in admin_client.get("/admin/workcal/reprojection/").content.decode()


def test_committing_the_admin_request_does_not_re_derive(county, admin_client,
                                                         django_capture_on_commit_callbacks):
    case = _open_case(county)
    before = _clock(case)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/workcal/calendarday/add/", {
            "date": HOLIDAY.isoformat(), "kind": "holiday", "region": county.county.pk, "reason": "台风停工"})
    assert _clock(case) == before


def test_changes_before_the_run_starts_share_it(county, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_override(HOLIDAY, "holiday", "停工", region=county.county.code)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_override(HOLIDAY + timedelta(days=1), "holiday", "停工", region=county.county.code)
        services.set_override(HOLIDAY, "holiday", "全国停工")  # another scope: a run of its own
    runs = {r.region_code: r for r in Reprojection.objects.all()}
    assert runs[county.county.code].dates == ["2025-11-10", "2025-11-11"]
    assert runs[""].dates == ["2025-11-10"]
    assert sorted(_queued_runs()) == sorted(r.pk for r in runs.values())  # one task per run


def test_a_failed_run_resumes_after_its_last_chunk_and_is_idempotent(county, monkeypatch):
    from xiaoneng.cases import services as case_services

    first, second, third = (_open_case(county, no) for no in ("R1", "R2", "R3"))
    services.set_override(HOLIDAY, "holiday", "停工", region=county.county.code)
    run = Reprojection.objects.get()
    seen = []
    real = case_services.rederive_cases

    def flaky(ids, **kw):
        seen.append(list(ids))
        if len(seen) == 2:
            raise RuntimeError("worker stopped")
        return real(ids, **kw)

    monkeypatch.setattr(case_services, "rederive_cases", flaky)
    with pytest.raises(RuntimeError):
        services.run_reprojection(run.pk, chunk_size=1)
    run.refresh_from_db()
    assert (run.status, run.done, run.total, run.last_case_id) == ("failed", 1, 3, first.pk)
    assert "worker stopped" in run.error
    assert _clock(first)[0] == at(2025, 11, 18, 17, 30) and _clock(second)[0] == at(2025, 11, 17, 17, 30)
    Reprojection.objects.filter(pk=run.pk).update(progress_at=timezone.now() - timedelta(minutes=10))
    assert services.reproject_stale() == 2  # the periodic job retries it after the last committed chunk
    assert seen[2:] == [[second.pk, third.pk]]
    run.refresh_from_db()
    assert (run.status, run.done, run.total) == ("done", 3, 3)
    assert all(_clock(c)[0] == at(2025, 11, 18, 17, 30) for c in (first, second, third))
    assert services.run_reprojection(run.pk) == 0  # done: nothing to do


def test_the_immediate_backend_runs_it_on_commit(county, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    case = _open_case(county)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_override(HOLIDAY, "holiday", "停工", region=county.county.code)
    assert _clock(case)[0] == at(2025, 11, 18, 17, 30)
    assert Reprojection.objects.get().status == ReprojectionStatus.DONE


def test_the_periodic_job_finishes_lost_or_stalled_runs(county):
    from xiaoneng.core import periodic

    assert {j.name: j for j in periodic.jobs()}["workcal.reproject_stale"].func is services.reproject_stale
    case = _open_case(county)
    services.set_override(HOLIDAY, "holiday", "停工", region=county.county.code)  # commit never came: no task
    run = Reprojection.objects.get()
    assert services.reproject_stale() == 0  # too recent: its task may still be on its way
    Reprojection.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert services.reproject_stale() == 1
    assert _clock(case)[0] == at(2025, 11, 18, 17, 30)
    assert Reprojection.objects.get().status == ReprojectionStatus.DONE
