"""Bulk import (二次入录): CSV and Excel, idempotent re-import, resume, row report, quarantine."""

import csv
import json
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.exchange import importer
from xiaoneng.exchange.models import ImportJob, QuarantinedEvent

HEADER = ["case_no", "item_code", "department", "applicant_type", "applicant_name", "id_no", "channel",
          "submitted_at", "accepted_at", "decided_at", "result", "reason", "document_no", "delivered_at"]


def good_row(n, **over):
    row = {"case_no": f"H{n:04d}", "item_code": "ITEM-DA-001", "department": "DA", "applicant_type": "person",
           "applicant_name": "张三", "id_no": "330122199001011234", "channel": "window",
           "submitted_at": "2025-03-03 09:00", "accepted_at": "2025-03-03 10:00",
           "decided_at": "2025-03-10 16:00", "result": "approved", "reason": "", "document_no": f"许{n}号",
           "delivered_at": "2025-03-11 09:00"}
    row.update(over)
    return row


def write_csv(path: Path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def run(*args):
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_csv_import_report_and_idempotency(county, tmp_path):
    rows = [good_row(n) for n in range(20)]
    rows.append(good_row(90, item_code="NOPE"))  # unknown item
    rows.append(good_row(91, submitted_at="someday"))  # unparsable date
    rows.append(good_row(92, result="denied", reason="", document_no=""))  # historical: no reason tolerated
    rows.append(good_row(93, result="rejected", accepted_at="", decided_at="2025-03-04 09:00",
                         delivered_at="", reason="材料不全"))
    path = write_csv(tmp_path / "cases.csv", rows)
    report = tmp_path / "report.csv"
    data = json.loads(run(str(path), "--report", str(report), "--json"))
    assert (data["rows"], data["imported"], data["rejected"], data["duplicate"]) == (24, 22, 2, 0)
    case = Case.objects.get(case_no="H0003")
    assert case.status == "delivered" and case.result == "approved" and case.source_system == ""
    assert case.applicant_id_masked.endswith("1234") and case.document_no == "许3号"
    assert Case.objects.get(case_no="H0092").result == "denied"
    assert Case.objects.get(case_no="H0093").status == "rejected"
    with open(report, encoding="utf-8-sig") as fh:
        lines = list(csv.DictReader(fh))
    assert len(lines) == 24
    by_case = {line["case_no"]: line for line in lines}
    assert by_case["H0090"]["status"] == "rejected" and by_case["H0090"]["error_code"] == "unknown_item"
    assert by_case["H0091"]["status"] == "rejected" and by_case["H0091"]["field"] == "submitted_at"
    assert by_case["H0001"]["status"] == "imported" and by_case["H0001"]["accepted"] == "4"
    # rejected rows are in quarantine: the 4 events of H0090 (unknown_item, then case_not_found for the events
    # that follow the rejected submission) and the unparsable row H0091 as its own record
    assert QuarantinedEvent.objects.filter(source="import").count() == 5
    assert QuarantinedEvent.objects.filter(case_no="H0090", error_code="case_not_found").count() == 3
    bad = QuarantinedEvent.objects.get(error_field="submitted_at")
    assert bad.import_row == 23 and "id_no" not in bad.raw["cells"]
    # re-import: nothing new, every row a duplicate (rejected rows stay rejected)
    events = CaseEvent.objects.count()
    again = json.loads(run(str(path), "--json"))
    assert (again["imported"], again["duplicate"], again["rejected"]) == (0, 22, 2)
    assert CaseEvent.objects.count() == events


@pytest.mark.django_db
def test_xlsx_with_steps_and_chinese_headers(county, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "办件"
    ws.append(["办件编号", "事项编码", "部门编码", "申请人", "申办时间", "受理时间", "办结时间", "办理结果"])
    from datetime import datetime

    ws.append(["X1", "ITEM-DA-001", "DA", "某公司", datetime(2025, 4, 1, 9, 0), datetime(2025, 4, 1, 9, 30),
               datetime(2025, 4, 8, 15, 0), "准予"])
    steps = wb.create_sheet("环节")
    steps.append(["办件编号", "环节编码", "完成时间", "经办人", "意见"])
    steps.append(["X1", "accept", datetime(2025, 4, 1, 9, 30), "王五", "通过"])
    steps.append(["X1", "nosuch", datetime(2025, 4, 2, 9, 30), "王五", "通过"])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    report = tmp_path / "report.xlsx"
    data = json.loads(run(str(path), "--report", str(report), "--json"))
    assert (data["rows"], data["imported"], data["rejected"]) == (3, 2, 1)
    case = Case.objects.get(case_no="X1")
    assert case.result == "approved" and case.accepted_at is not None
    assert case.steps.get(code="accept").actor_name == "王五"
    rows = list(load_workbook(report, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "sheet" and len(rows) == 4
    assert rows[3][:4] == ("环节", 3, "X1", "rejected") and rows[3][7] == "unknown_step"


@pytest.mark.django_db
def test_interrupted_import_resumes(county, tmp_path):
    path = write_csv(tmp_path / "cases.csv", [good_row(n) for n in range(30)])
    real_flush = importer._flush
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_flush(*args, **kwargs)

    with mock.patch.object(importer, "_flush", flaky), pytest.raises(KeyboardInterrupt):
        importer.run_import(path, chunk_events=20)  # 5 rows (4 events each) per chunk
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.last_row == 11 and job.rows_total == 10
    assert Case.objects.count() == 10
    job = importer.run_import(path, resume=True, chunk_events=20)
    assert ImportJob.objects.count() == 1
    assert job.status == "done" and job.rows_total == 30 and job.rows_imported == 30 and job.last_row == 31
    assert Case.objects.count() == 30


@pytest.mark.django_db
def test_import_for_a_system_respects_its_departments(county, tmp_path):
    from xiaoneng.exchange.keys import create_system

    create_system(code="SYS-A", name="A", department_codes=["DA"])
    path = write_csv(tmp_path / "c.csv", [good_row(1), good_row(2, item_code="ITEM-DB-001", department="DB")])
    data = json.loads(run(str(path), "--system", "SYS-A", "--json"))
    assert (data["imported"], data["rejected"]) == (1, 1)
    assert Case.objects.get(case_no="H0001").source_system == "SYS-A"
    assert set(QuarantinedEvent.objects.values_list("error_code", flat=True)) == {"department_not_allowed",
                                                                                  "case_not_found"}


def test_bad_input(tmp_path, db):
    with pytest.raises(CommandError):
        run(str(tmp_path / "missing.csv"))
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(CommandError):
        run(str(tmp_path / "x.txt"))
    (tmp_path / "nohead.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CommandError):
        run(str(tmp_path / "nohead.csv"))
    with pytest.raises(CommandError):
        run(str(tmp_path / "nohead.csv"), "--system", "NOPE")


@pytest.mark.django_db
def test_template_and_admin_upload(county, admin_client, tmp_path):
    template = importer.template_workbook()
    wb = load_workbook(template, read_only=True)
    assert wb.sheetnames == ["办件", "环节", "说明"]
    r = admin_client.get("/admin/exchange/importjob/template/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    path = write_csv(tmp_path / "up.csv", [good_row(1), good_row(2)])
    with open(path, "rb") as fh:
        r = admin_client.post("/admin/exchange/importjob/upload/", {"file": fh})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert job.rows_imported == 2 and job.report
    r = admin_client.get(f"/admin/exchange/importjob/{job.pk}/report/")
    assert r.status_code == 200 and b"H0001" in b"".join(r.streaming_content)


@pytest.mark.django_db
def test_admin_background_upload(county, admin_client, tmp_path, settings):
    from django_tasks_db.models import DBTaskResult

    from xiaoneng.exchange.tasks import run_import_task

    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_csv(tmp_path / "big.csv", [good_row(1), good_row(2), good_row(3)])
    with open(path, "rb") as fh:
        r = admin_client.post("/admin/exchange/importjob/upload/", {"file": fh, "background": "on"})
    assert r.status_code == 302 and not ImportJob.objects.exists()
    queued = DBTaskResult.objects.get()
    stored = Path(queued.args_kwargs["args"][0])
    assert stored.exists()
    job_id = run_import_task.call(*queued.args_kwargs["args"])
    job = ImportJob.objects.get(pk=job_id)
    assert job.rows_imported == 3 and job.file_name == "big.csv" and not stored.exists()


def test_committed_rows_are_ranges_per_sheet():
    ranges = importer._Ranges([2, 12, 30], [6, 16, 30])
    inside = {n for n in range(0, 40) if n in ranges}
    assert inside == set(range(2, 7)) | set(range(12, 17)) | {30}
    assert 7 not in importer._Ranges([], [])


def test_row_errors_survive_pickling_to_workers():
    import pickle

    error = pickle.loads(pickle.dumps(importer.RowError("submitted_at", "submitted_at: unrecognised")))
    assert isinstance(error, importer.RowError)
    assert (error.field, str(error)) == ("submitted_at", "submitted_at: unrecognised")


@pytest.mark.django_db(transaction=True)
def test_workers_fall_back_to_one_where_they_cannot_share_the_data(county):
    from django.db import connection, transaction

    expected = 3 if connection.vendor == "postgresql" else 1
    assert importer.import_workers(3) == expected
    assert importer.import_workers(1) == 1
    with transaction.atomic():  # rows of an open transaction are invisible to other connections
        assert importer.import_workers(3) == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_import_reports_in_file_order(county, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel import workers run on PostgreSQL only")
    rows = [good_row(n) for n in range(40)]
    rows[13] = good_row(13, submitted_at="someday")  # a row error, quarantined by a worker
    rows[27] = good_row(2)  # the same case again, in another chunk: a duplicate, whichever worker is first
    path = write_csv(tmp_path / "cases.csv", rows)
    report = tmp_path / "report.csv"
    job = importer.run_import(path, report_path=report, chunk_events=20, workers=2)  # 5 rows per chunk
    assert job.status == "done"
    assert (job.rows_total, job.rows_imported, job.rows_duplicate, job.rows_rejected) == (40, 38, 1, 1)
    assert job.events_accepted == 38 * 4 and job.last_row == 41
    assert Case.objects.count() == 38 and CaseEvent.objects.count() == 38 * 4
    assert job.chunks.count() == 8
    with open(report, encoding="utf-8-sig") as fh:
        lines = list(csv.DictReader(fh))
    assert [int(line["row"]) for line in lines] == list(range(2, 42))
    statuses = {int(line["row"]): line["status"] for line in lines}
    assert statuses[15] == "rejected" and QuarantinedEvent.objects.get().import_row == 15
    assert sorted((statuses[4], statuses[29])) == ["duplicate", "imported"]


@pytest.mark.django_db(transaction=True)
def test_parallel_import_resumes_exactly_the_uncommitted_chunks(county, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel import workers run on PostgreSQL only")
    path = write_csv(tmp_path / "cases.csv", [good_row(n) for n in range(30)])
    real = importer._record_chunk

    def second_chunk_fails(job_id, system_id, allowed, pending):
        if pending.rows[0][0] == 7:
            raise RuntimeError("disk full")
        return real(job_id, system_id, allowed, pending)

    # the workers are forked after the patch, so they run it; chunks after the failing one may commit
    with mock.patch.object(importer, "_record_chunk", second_chunk_fails), pytest.raises(RuntimeError):
        importer.run_import(path, chunk_events=20, workers=2)
    job = ImportJob.objects.get()
    committed = list(job.chunks.order_by("first_row").values_list("first_row", flat=True))
    assert job.status == "failed" and 2 in committed and 7 not in committed
    assert max(committed) > 7  # a later chunk, already handed to a worker, committed after the failure
    assert Case.objects.count() == 5 * len(committed) == job.rows_total
    job = importer.run_import(path, resume=True, chunk_events=20, workers=2)
    assert job.status == "done" and ImportJob.objects.count() == 1
    assert (job.rows_total, job.rows_imported, job.rows_duplicate) == (30, 30, 0)  # nothing recorded twice
    assert Case.objects.count() == 30 and CaseEvent.objects.count() == 120


@pytest.mark.django_db(transaction=True)
def test_import_command_reports_its_workers(county, tmp_path):
    from django.db import connection

    path = write_csv(tmp_path / "cases.csv", [good_row(n) for n in range(6)])
    data = json.loads(run(str(path), "--workers", "2", "--json"))
    assert data["workers"] == (2 if connection.vendor == "postgresql" else 1)
    assert (data["rows"], data["imported"]) == (6, 6)
    with pytest.raises(CommandError):
        run(str(path), "--workers", "0")


@pytest.mark.django_db
def test_imported_history_is_marked_and_judged_by_the_time_rules_only(county, tmp_path):
    from xiaoneng.exchange.quarantine import replay
    from xiaoneng.supervision.models import Alert

    slow = good_row(2, decided_at="2025-06-30 16:00", delivered_at="2025-07-01 09:00")  # months past its dues
    path = write_csv(tmp_path / "cases.csv", [good_row(1), slow, good_row(3, item_code="NOPE")])
    importer.run_import(path)
    assert set(CaseEvent.objects.values_list("backfilled", flat=True)) == {True}
    rules = set(Alert.objects.values_list("rule", flat=True))
    assert "case_limit" in rules  # a historical import raises the cards whose limits had passed
    assert not rules & {"late_report", "off_system"}  # but reporting it now is not reporting it late
    # a quarantined import row, corrected and replayed, is still history
    bad = QuarantinedEvent.objects.filter(case_no="H0003", error_code="unknown_item").get()
    bad.raw = {**bad.raw, "item_code": "ITEM-DA-001"}
    bad.save(update_fields=["raw"])
    [(_, outcome)] = replay([bad.pk])
    assert outcome.status == "accepted"
    assert CaseEvent.objects.get(case__case_no="H0003").backfilled


@pytest.mark.django_db(transaction=True)
def test_by_default_a_threaded_process_does_not_fork(county, settings):
    import threading

    settings.XN_IMPORT_WORKERS = 0
    started, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), stop.wait(10)))
    thread.start()
    try:
        started.wait(5)
        assert importer.import_workers() == 1
    finally:
        stop.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_an_import_interrupted_before_chunks_existed_resumes_after_its_position(county, tmp_path):
    """Migration exchange.0002: the saved (sheet, last row) of an unfinished job becomes its committed chunk."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    path = write_csv(tmp_path / "cases.csv", [good_row(n) for n in range(12)])
    executor = MigrationExecutor(connection)
    executor.migrate([("exchange", "0001_initial")])
    old_apps = executor.loader.project_state([("exchange", "0001_initial")]).apps
    OldJob = old_apps.get_model("exchange", "ImportJob")
    OldJob.objects.create(file_name="cases.csv", checksum=importer.file_checksum(path), status="failed",
                          sheet="办件", last_row=6, rows_total=5, rows_imported=5, events_accepted=20)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    job = ImportJob.objects.get()
    assert list(job.chunks.values_list("sheet", "first_row", "last_row", "rows")) == [("办件", 0, 6, 5)]
    job = importer.run_import(path, resume=True)
    assert (job.rows_total, job.rows_imported, job.rows_duplicate) == (12, 12, 0)  # rows 2–6 were not re-read
    assert Case.objects.count() == 7  # the five rows of the interrupted run were never recorded here


@pytest.mark.django_db
def test_statistics_are_refreshed_as_the_imported_rows_double(county, tmp_path, monkeypatch):
    from django.db import connection

    stats = importer._Statistics()
    marks = []
    for chunk in [1000] * 40:
        before = stats.next_at
        stats.recorded(chunk)
        if stats.next_at != before:
            marks.append(stats.rows)
    assert marks == [5000, 10000, 20000, 40000]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:  # a table never analysed has no row estimate (-1) on PostgreSQL ≥ 14
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'cases_caseevent'")
        assert cursor.fetchone()[0] <= 0
    monkeypatch.setattr(importer._Statistics, "FIRST", 4)
    importer.run_import(write_csv(tmp_path / "cases.csv", [good_row(n) for n in range(6)]), chunk_events=8)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'cases_caseevent'")
        assert cursor.fetchone()[0] >= 16  # analysed after the second chunk: 4 rows of 4 events
