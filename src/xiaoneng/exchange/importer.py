"""Bulk import of historical cases (二次入录) from Excel (.xlsx) or CSV, streamed in constant memory.

Each row becomes events (submitted, accepted | rejected, decided | withdrawn, delivered; a 环节 row becomes a
step_completed) with an ``event_id`` derived from the case number and the kind of event, so re-importing a
file yields ``duplicate`` results and nothing new. Events are recorded through the single write path in chunks
of about 4000 events (a row's events never straddle two chunks), by several worker processes at once on
PostgreSQL (``import_workers``); each chunk commits together with its :class:`ImportChunk` record (sheet, first
and last row), so an interrupted import resumes with exactly the rows no committed chunk holds (``--resume``).
Rejected events go to quarantine like API rejections. The template is documented in docs/import-template.md.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import multiprocessing
import os
import re
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from .ingest import ingest
from .models import ImportChunk, ImportJob, ImportStatus, QuarantineSource, SourceSystem
from .parsing import RFC3339

CHUNK_EVENTS = 4000  # per transaction: larger chunks amortise the per-batch queries; memory stays bounded
CASE_SHEET, STEP_SHEET = "办件", "环节"
CASE_COLUMNS = [
    ("case_no", "办件编号", "必填，1–64 个字符，全平台唯一"),
    ("item_code", "事项编码", "必填（有申办时间时）"),
    ("department", "部门编码", "必填，与事项编码一起"),
    ("applicant_type", "申请人类型", "person / organisation（自然人 / 法人）"),
    ("applicant_name", "申请人", ""),
    ("id_no", "证件号码", "加密保存"),
    ("channel", "申报渠道", "window / online / agent（窗口 / 网上 / 代办）"),
    ("submitted_at", "申办时间", "2026-03-02 09:30 或 2026-03-02T09:30:00+08:00；无时区按北京时间"),
    ("accepted_at", "受理时间", ""),
    ("decided_at", "办结时间", "不予受理、撤回时为其发生时间"),
    ("result", "办理结果", "approved / denied / rejected / withdrawn（准予 / 不予许可 / 不予受理 / 撤回）"),
    ("reason", "理由", "不予许可、不予受理、撤回的理由"),
    ("document_no", "文书编号", ""),
    ("delivered_at", "送达时间", ""),
    ("delivery_method", "送达方式", "window / mail / online"),
    ("actor", "经办人", "空：记为“二次入录”"),
]
STEP_COLUMNS = [
    ("case_no", "办件编号", "必填"),
    ("step", "环节编码", "事项的环节编码"),
    ("completed_at", "完成时间", ""),
    ("actor", "经办人", ""),
    ("outcome", "意见", "pass / return（通过 / 退回）"),
    ("opinion", "办理意见", ""),
]
ALIASES = {label: key for key, label, _ in CASE_COLUMNS + STEP_COLUMNS}
RESULT_ALIASES = {"准予": "approved", "准予许可": "approved", "同意": "approved", "approved": "approved",
                  "不予许可": "denied", "不准予": "denied", "denied": "denied", "不予受理": "rejected",
                  "rejected": "rejected", "撤回": "withdrawn", "withdrawn": "withdrawn"}
APPLICANT_ALIASES = {"自然人": "person", "个人": "person", "person": "person", "法人": "organisation",
                     "法人或其他组织": "organisation", "organisation": "organisation", "organization": "organisation"}
CHANNEL_ALIASES = {"窗口": "window", "网上": "online", "代办": "agent", "window": "window", "online": "online",
                   "agent": "agent"}
OUTCOME_ALIASES = {"通过": "pass", "退回": "return", "pass": "pass", "return": "return"}
DEFAULT_ACTOR = {"id": "import", "name": "二次入录"}


class ImportFailed(Exception):
    pass


class RowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field

    def __reduce__(self):  # pickled to the import's worker processes
        return type(self), (self.field, str(self))


# --- reading ----------------------------------------------------------------------------------------------


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalise_header(values) -> list[str]:
    out = []
    for value in values:
        name = str(value).strip() if value is not None else ""
        out.append(ALIASES.get(name, name.lower()))
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def iter_sheets(path: Path) -> Iterator[tuple[str, Iterator[tuple[int, dict[str, Any]]]]]:
    """(sheet kind, rows) where rows yields (row number, {column: value}); row numbers count the header as 1."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_sheets(path)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_sheets(path)
    else:
        raise ImportFailed(f"unsupported file type {suffix or '(none)'}: use .xlsx or .csv")


def _kind_of(header: list[str]) -> str | None:
    if "case_no" not in header:
        return None
    return STEP_SHEET if "step" in header and "item_code" not in header else CASE_SHEET


def _csv_sheets(path: Path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = _normalise_header(next(reader))
        except StopIteration:
            raise ImportFailed("the file is empty") from None
        kind = _kind_of(header)
        if kind is None:
            raise ImportFailed("the header row has no case_no (办件编号) column")

        def rows():
            for n, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                yield n, {k: _cell(v) for k, v in zip(header, values, strict=False) if k}

        yield kind, rows()


def _xlsx_sheets(path: Path):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise ImportFailed(f"cannot read the workbook: {exc}") from None
    try:
        names = wb.sheetnames
        case_name = next((n for n in names if n in (CASE_SHEET, "cases")), names[0])
        step_name = next((n for n in names if n in (STEP_SHEET, "steps")), None)
        for kind, name in ((CASE_SHEET, case_name), (STEP_SHEET, step_name)):
            if name is None:
                continue
            ws = wb[name]
            it = ws.iter_rows(values_only=True)
            try:
                header = _normalise_header(next(it))
            except StopIteration:
                continue
            if "case_no" not in header:
                if kind == CASE_SHEET:
                    raise ImportFailed(f"sheet {name}: the header row has no case_no (办件编号) column")
                continue

            def rows(it=it, header=header):
                for n, values in enumerate(it, start=2):
                    if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                        continue
                    yield n, {k: _cell(v) for k, v in zip(header, values, strict=False) if k}

            yield kind, rows()
    finally:
        wb.close()


# --- rows → events -----------------------------------------------------------------------------------------


def _text(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_LOCAL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")


def _timestamp(row: dict, key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    tz = timezone.get_current_timezone()
    if isinstance(value, datetime):
        dt = value if timezone.is_aware(value) else timezone.make_aware(value, tz)
        return dt.isoformat()
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time(9, 0)), tz).isoformat()
    text = str(value).strip()
    if RFC3339.match(text):
        return text
    if _LOCAL_ISO.match(text):  # the template's own form: fromisoformat is several times cheaper than strptime
        try:
            return datetime.fromisoformat(text).replace(tzinfo=tz).isoformat()
        except ValueError:
            pass  # e.g. month 13: the formats below say so
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt in ("%Y-%m-%d", "%Y/%m/%d"):
            parsed = parsed.replace(hour=9)
        return timezone.make_aware(parsed, tz).isoformat()
    raise RowError(key, f"{key}: unrecognised date/time {text[:40]!r}")


def event_id_for(case_no: str, kind: str) -> str:
    return "imp-" + hashlib.sha256(f"{case_no}\x1f{kind}".encode()).hexdigest()[:40]


def case_row_events(row: dict) -> list[dict]:
    case_no = _text(row, "case_no")
    if not case_no:
        raise RowError("case_no", "case_no (办件编号) is empty")
    actor_name = _text(row, "actor")
    actor = {"id": "import", "name": actor_name} if actor_name else DEFAULT_ACTOR
    raw_result = _text(row, "result")
    result = RESULT_ALIASES.get(raw_result, raw_result.lower() if raw_result else "")
    if result and result not in ("approved", "denied", "rejected", "withdrawn"):
        raise RowError("result", f"result: unknown value {raw_result!r}")
    reason = _text(row, "reason")
    submitted_at = _timestamp(row, "submitted_at")
    accepted_at = _timestamp(row, "accepted_at")
    decided_at = _timestamp(row, "decided_at")
    delivered_at = _timestamp(row, "delivered_at")
    events = []

    def add(kind: str, type_: str, at: str, payload: dict | None = None, **extra):
        events.append({"event_id": event_id_for(case_no, kind), "case_no": case_no, "type": type_,
                       "occurred_at": at, "actor": actor, "payload": payload or {}, **extra})

    if submitted_at:
        applicant: dict[str, str] = {}
        a_type = _text(row, "applicant_type")
        if a_type:
            applicant["type"] = APPLICANT_ALIASES.get(a_type, a_type)
        for key, column in (("name", "applicant_name"), ("id_no", "id_no")):
            if _text(row, column):
                applicant[key] = _text(row, column)
        payload: dict[str, Any] = {}
        if applicant:
            applicant.setdefault("type", "person")
            payload["applicant"] = applicant
        channel = _text(row, "channel")
        if channel:
            payload["channel"] = CHANNEL_ALIASES.get(channel, channel)
        add("submitted", "submitted", submitted_at, payload,
            item_code=_text(row, "item_code"), department=_text(row, "department"))
    if result == "rejected":
        at = accepted_at or decided_at
        if not at:
            raise RowError("decided_at", "a rejected (不予受理) row needs accepted_at or decided_at")
        add("rejected", "rejected", at, {"reason": reason} if reason else {})
    elif accepted_at:
        add("accepted", "accepted", accepted_at)
    if result in ("approved", "denied"):
        if not decided_at:
            raise RowError("decided_at", "decided_at is required with a result")
        payload = {"result": result}
        if reason:
            payload["reason"] = reason
        if _text(row, "document_no"):
            payload["document_no"] = _text(row, "document_no")
        add("decided", "decided", decided_at, payload)
    elif result == "withdrawn":
        if not decided_at:
            raise RowError("decided_at", "decided_at is required for a withdrawn case")
        add("withdrawn", "withdrawn", decided_at, {"reason": reason} if reason else {})
    elif decided_at and result != "rejected":
        raise RowError("result", "result is required with decided_at")
    if delivered_at:
        method = _text(row, "delivery_method")
        add("delivered", "delivered", delivered_at, {"method": CHANNEL_ALIASES.get(method, method)} if method else {})
    if not events:
        raise RowError("submitted_at", "the row has no dated event (submitted_at, accepted_at, …)")
    return events


def step_row_events(row: dict) -> list[dict]:
    case_no = _text(row, "case_no")
    if not case_no:
        raise RowError("case_no", "case_no (办件编号) is empty")
    step = _text(row, "step")
    if not step:
        raise RowError("step", "step (环节编码) is empty")
    completed_at = _timestamp(row, "completed_at")
    if not completed_at:
        raise RowError("completed_at", "completed_at is required")
    actor_name = _text(row, "actor")
    payload: dict[str, Any] = {"step": step}
    outcome = _text(row, "outcome")
    if outcome:
        payload["outcome"] = OUTCOME_ALIASES.get(outcome, outcome)
    if _text(row, "opinion"):
        payload["opinion"] = _text(row, "opinion")
    return [{"event_id": event_id_for(case_no, f"step:{step}:{completed_at}"), "case_no": case_no,
             "type": "step_completed", "occurred_at": completed_at,
             "actor": {"id": "import", "name": actor_name} if actor_name else DEFAULT_ACTOR, "payload": payload}]


# --- the report --------------------------------------------------------------------------------------------


class Report:
    """Row-by-row report (sheet, row, case_no, status, events, reason), streamed to CSV or write-only xlsx."""

    HEADER = ["sheet", "row", "case_no", "status", "accepted", "duplicate", "rejected", "error_code", "field",
              "reason"]

    def __init__(self, path: Path | None):
        self.path = path
        self._fh = self._writer = self._wb = self._ws = None
        if path is None:
            return
        if path.suffix.lower() == ".xlsx":
            from openpyxl import Workbook

            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet("导入报告")
            self._ws.append(self.HEADER)
        else:
            self._fh = open(path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115
            self._writer = csv.writer(self._fh)
            self._writer.writerow(self.HEADER)

    def write(self, values: list) -> None:
        if self._ws is not None:
            self._ws.append(values)
        elif self._writer is not None:
            self._writer.writerow(values)

    def close(self) -> None:
        if self._wb is not None:
            self._wb.save(self.path)
        if self._fh is not None:
            self._fh.close()


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    sheet: str
    rows: list[tuple[int, str, list[dict] | RowError, dict | None]] = field(default_factory=list)
    n_events: int = 0


@dataclass
class _ChunkResult:
    sheet: str
    last_row: int
    rows: int
    imported: int
    duplicate: int
    rejected: int
    events_accepted: int
    report_rows: list[list]


def import_workers(requested: int | None = None) -> int:
    """Worker processes for an import: ``requested``, else ``XN_IMPORT_WORKERS``, else one per CPU (at most 8)
    if this process runs a single thread (the workers are forked, and a fork copies only the calling thread).

    Always 1 on SQLite (one writer at a time), where ``fork`` is unavailable, and inside a transaction (the
    workers' own connections could not see its rows)."""
    if requested is None:
        requested = getattr(settings, "XN_IMPORT_WORKERS", 0) or (
            min(os.cpu_count() or 1, 8) if threading.active_count() == 1 else 1)
    connection = connections[DEFAULT_DB_ALIAS]
    if (requested <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    return requested


def run_import(path: Path, *, system: SourceSystem | None = None, report_path: Path | None = None,
               resume: bool = False, file_name: str | None = None, user: str = "", store_report: bool = False,
               chunk_events: int = CHUNK_EVENTS, workers: int | None = None) -> ImportJob:
    """Import ``path``; with several ``workers`` the chunks are recorded by that many processes at once (each
    its own connection and transactions), the report and the job's totals still following the file's order."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"no such file: {path}")
    checksum = file_checksum(path)
    job = None
    if resume:
        job = (ImportJob.objects.filter(checksum=checksum, system=system)
               .exclude(status=ImportStatus.DONE).order_by("-started_at").first())
    if job is None:
        job = ImportJob.objects.create(file_name=file_name or path.name, checksum=checksum, system=system,
                                       created_by=user)
    else:
        job.status, job.message = ImportStatus.RUNNING, ""
        _total_from_chunks(job)
        job.save(update_fields=["status", "message", *_TOTALS])
    committed = _CommittedRows(job)
    tmp_report = None
    if report_path is None and store_report:
        fd, name = tempfile.mkstemp(suffix=".csv")
        os.close(fd)
        tmp_report = Path(name)
    report = Report(report_path or tmp_report)
    allowed = None if system is None else list(system.departments.values_list("code", flat=True))
    chunks = _Chunks(job, system, allowed, report, import_workers(workers))
    try:
        with chunks:
            for kind, rows in iter_sheets(path):
                to_events = case_row_events if kind == CASE_SHEET else step_row_events
                pending = _Pending(kind)
                for n, row in rows:
                    if n in committed[kind]:
                        continue
                    try:
                        events = to_events(row)
                    except RowError as exc:
                        events = exc
                    pending.rows.append((n, _text(row, "case_no"), events,
                                         row if isinstance(events, RowError) else None))
                    pending.n_events += len(events) if isinstance(events, list) else 0
                    if pending.n_events >= chunk_events:
                        chunks.submit(pending)
                        pending = _Pending(kind)
                chunks.submit(pending)
                chunks.drain()  # step rows refer to the cases of the case sheet: those are all committed first
        job.status, job.finished_at = ImportStatus.DONE, timezone.now()
        job.save(update_fields=["status", "finished_at"])
    except BaseException as exc:
        job.status, job.message = ImportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        job.save(update_fields=["status", "message"])
        raise
    finally:
        report.close()
        if tmp_report is not None:
            if tmp_report.exists():
                with open(tmp_report, "rb") as fh:
                    job.report.save(f"import-{job.pk}.csv", File(fh), save=True)
                tmp_report.unlink(missing_ok=True)
    return job


_TOTALS = ("rows_total", "rows_imported", "rows_duplicate", "rows_rejected", "events_accepted")
_CHUNK_TOTALS = ("rows", "imported", "duplicate", "rejected", "events_accepted")


def _total_from_chunks(job: ImportJob) -> None:
    """A resumed job's totals are the sums over its committed chunks (whatever the interrupted run had saved)."""
    sums = job.chunks.aggregate(**{name: Sum(name) for name in _CHUNK_TOTALS})
    for total, name in zip(_TOTALS, _CHUNK_TOTALS, strict=True):
        setattr(job, total, sums[name] or 0)


class _CommittedRows:
    """``n in committed[sheet]``: whether row ``n`` of ``sheet`` lies in a chunk the job has committed."""

    def __init__(self, job: ImportJob):
        self._ranges: dict[str, tuple[list[int], list[int]]] = {}
        for sheet, first, last in job.chunks.order_by("sheet", "first_row").values_list("sheet", "first_row",
                                                                                          "last_row"):
            firsts, lasts = self._ranges.setdefault(sheet, ([], []))
            firsts.append(first)
            lasts.append(last)

    def __getitem__(self, sheet: str) -> _Ranges:
        return _Ranges(*self._ranges.get(sheet, ([], [])))


@dataclass(slots=True)
class _Ranges:
    firsts: list[int]
    lasts: list[int]

    def __contains__(self, n: int) -> bool:
        i = bisect.bisect_right(self.firsts, n) - 1
        return i >= 0 and n <= self.lasts[i]


class _Chunks:
    """Records chunks in this process (one worker) or in a pool of forked worker processes, and hands their
    results back in file order. At most two chunks per worker are in flight, so memory stays constant."""

    def __init__(self, job: ImportJob, system: SourceSystem | None, allowed: list[str] | None, report: Report,
                 workers: int):
        self.job, self.system, self.allowed, self.report, self.workers = job, system, allowed, report, workers
        self._pool: ProcessPoolExecutor | None = None
        self._in_flight: deque[Future] = deque()
        self._statistics = _Statistics()

    def __enter__(self) -> _Chunks:
        if self.workers > 1:
            connections.close_all()  # nothing shared across fork(): every worker opens its own connection
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
            self._pool.submit(int).result()  # the workers are forked now, before this process reconnects
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._pool is None:
            return
        if exc_type is not None:  # let the running chunks commit (they are then skipped on resume), no new ones
            for future in self._in_flight:
                future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if exc_type is not None:
            for future in self._in_flight:
                if future.done() and not future.cancelled() and future.exception() is None:
                    self._done(future.result())

    def submit(self, pending: _Pending) -> None:
        if not pending.rows:
            return
        system_id = self.system.pk if self.system else None
        if self._pool is None:
            self._done(_flush(self.job.pk, system_id, self.allowed, pending))
            return
        self._in_flight.append(self._pool.submit(_flush, self.job.pk, system_id, self.allowed, pending))
        while len(self._in_flight) >= 2 * self.workers:
            self._done(self._in_flight.popleft().result())

    def drain(self) -> None:
        while self._in_flight:
            self._done(self._in_flight.popleft().result())

    def _done(self, result: _ChunkResult) -> None:
        job = self.job
        job.sheet, job.last_row = result.sheet, result.last_row
        for total, name in zip(_TOTALS, _CHUNK_TOTALS, strict=True):
            setattr(job, total, getattr(job, total) + getattr(result, name))
        job.save(update_fields=["sheet", "last_row", *_TOTALS])
        for values in result.report_rows:
            self.report.write(values)
        self._statistics.recorded(result.rows)


class _Statistics:
    """Refreshes the planner statistics of the tables an import grows each time the rows recorded have doubled
    (from 5,000). Tables filled from nearly empty within one import are otherwise planned with the statistics of
    the empty tables until autovacuum comes round to them (never, with autovacuum off): on a million imported
    rows the duplicate check of a chunk's event ids became a scan of the whole event log, 1.6 s per chunk
    instead of milliseconds, and the import slowed from 1,400 to 480 rows/s."""

    TABLES = ("cases.Case", "cases.CaseEvent", "cases.CaseStep", "supervision.Alert")
    FIRST = 5_000

    def __init__(self):
        self.rows, self.next_at = 0, self.FIRST

    def recorded(self, rows: int) -> None:
        self.rows += rows
        if self.rows < self.next_at:
            return
        self.next_at = 2 * self.rows
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return
        from django.apps import apps

        tables = ", ".join(connection.ops.quote_name(apps.get_model(label)._meta.db_table) for label in self.TABLES)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


_RETRIES = 3
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def _flush(job_id: int, system_id: int | None, allowed: list[str] | None, pending: _Pending) -> _ChunkResult:
    """Record one chunk and its :class:`ImportChunk` in one transaction. Run by the import's worker processes:
    two chunks that both create the same case number (a file listing a case twice) collide on its unique key,
    and the later one is simply recorded again, now finding the case."""
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                return _record_chunk(job_id, system_id, allowed, pending)
        except (IntegrityError, OperationalError) as exc:
            retryable = isinstance(exc, IntegrityError) or getattr(exc.__cause__, "sqlstate", "") in \
                _RETRYABLE_SQLSTATES
            if not retryable or attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _record_chunk(job_id: int, system_id: int | None, allowed: list[str] | None, pending: _Pending) -> _ChunkResult:
    system = SourceSystem.objects.get(pk=system_id) if system_id else None
    raw_events, row_numbers = [], []
    for n, _, events, _row in pending.rows:
        if isinstance(events, list):
            raw_events.extend(events)
            row_numbers.extend([n] * len(events))
    outcomes = ingest(raw_events, system=system, source=QuarantineSource.IMPORT, allowed=allowed,
                      import_job_id=job_id, import_rows=row_numbers, require_reasons=False,
                      backfilled=True) if raw_events else []
    report_rows = []
    i = 0
    counts = {"imported": 0, "duplicate": 0, "rejected": 0}
    events_accepted = 0
    for n, case_no, events, row in pending.rows:
        if isinstance(events, RowError):
            report_rows.append([pending.sheet, n, case_no, "rejected", 0, 0, 0, "invalid_field", events.field,
                                str(events)])
            counts["rejected"] += 1
            _quarantine_row(job_id, system, pending.sheet, n, case_no, events, row)
            continue
        mine = outcomes[i:i + len(events)]
        i += len(events)
        acc = sum(o.status == "accepted" for o in mine)
        dup = sum(o.status == "duplicate" for o in mine)
        rej = [o for o in mine if o.status == "rejected"]
        status = "rejected" if rej else ("duplicate" if dup == len(mine) else "imported")
        counts[status] += 1
        first = rej[0] if rej else None
        report_rows.append([pending.sheet, n, case_no, status, acc, dup, len(rej),
                            first.code if first else "", (first.field or "") if first else "",
                            first.message if first else ""])
        events_accepted += acc
    result = _ChunkResult(pending.sheet, pending.rows[-1][0], len(pending.rows), counts["imported"],
                          counts["duplicate"], counts["rejected"], events_accepted, report_rows)
    ImportChunk.objects.create(job_id=job_id, sheet=pending.sheet, first_row=pending.rows[0][0],
                               last_row=result.last_row, rows=result.rows, imported=result.imported,
                               duplicate=result.duplicate, rejected=result.rejected,
                               events_accepted=events_accepted)
    return result


def _quarantine_row(job_id: int, system, sheet, n, case_no, error: RowError, row: dict | None) -> None:
    """A row that cannot even be turned into events is quarantined as its own raw record (the row's cells)."""
    from xiaoneng.core import crypto

    from .models import QuarantinedEvent

    cells = {}
    for key, value in (row or {}).items():
        if key == "id_no" and value:
            cells["id_no_cipher"] = crypto.encrypt(str(value))
        elif isinstance(value, datetime | date | time):
            cells[key] = value.isoformat()
        elif value is None or isinstance(value, str | int | float | bool):
            cells[key] = value
        else:
            cells[key] = str(value)
    QuarantinedEvent.objects.create(
        system=system, source=QuarantineSource.IMPORT, raw={"import_row": n, "sheet": sheet, "cells": cells},
        case_no=case_no[:255], error_code="invalid_field", error_field=error.field, error_message=str(error),
        import_job_id=job_id, import_row=n)


# --- the template ------------------------------------------------------------------------------------------


def template_workbook() -> io.BytesIO:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = CASE_SHEET
    ws.append([key for key, _, _ in CASE_COLUMNS])
    ws.append(["330122202603020001", "ITEM-001", "DEPT-01", "person", "张三", "330122199001011234", "window",
               "2026-03-02 09:30", "2026-03-02 10:00", "2026-03-10 16:00", "approved", "", "许字〔2026〕1号",
               "2026-03-11 09:00", "window", "李四"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    steps = wb.create_sheet(STEP_SHEET)
    steps.append([key for key, _, _ in STEP_COLUMNS])
    steps.append(["330122202603020001", "review1", "2026-03-05 15:00", "王五", "pass", "同意"])
    for cell in steps[1]:
        cell.font = Font(bold=True)
    notes = wb.create_sheet("说明")
    notes.append(["工作表", "列名", "中文名", "说明"])
    for sheet, cols in ((CASE_SHEET, CASE_COLUMNS), (STEP_SHEET, STEP_COLUMNS)):
        for key, label, note in cols:
            notes.append([sheet, key, label, note])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
