"""Supervision services: raising cards (the sweep, irregularities, closing subjects) and the card lifecycle.

Raising is set-based and idempotent: a card is unique per (subject, step, rule, level) by a database constraint;
inserts use ``ignore_conflicts``. The sweep selects only subjects with ``next_check_at <= now`` through their
index; on PostgreSQL it claims them in chunks with ``SELECT … FOR UPDATE SKIP LOCKED`` so that several workers
share the work without processing a subject twice at the same moment.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core.sql import filter_in

from . import config, messages, subjects
from .catalogue import IRREGULARITY_RULES
from .models import (
    LEVEL_RANK,
    Accountability,
    Alert,
    AlertDailyStat,
    AlertStatus,
    AlertTransition,
    OrderStatus,
    SupervisionOrder,
)

logger = logging.getLogger("xiaoneng.supervision")

_ONE_SECOND = timedelta(seconds=1)
LABEL_FIELDS = ("case_no", "receipt_no", "order_no", "number")
STATE_RULE_ACCEPTED, STATE_RULE_PRE = "case_limit", "pre_acceptance"


def _parse(at: Any) -> datetime | None:
    if isinstance(at, datetime):
        return at
    if not at:
        return None
    try:
        value = datetime.fromisoformat(str(at))
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


# --- inserting cards ------------------------------------------------------------------------------------------


class Card(NamedTuple):
    """A card to insert (the columns of ``Alert`` in insertion order)."""

    subject_type: str
    subject_id: int
    subject_no: str
    case_id: int | None
    department_id: int
    region_code: str
    step: str
    rule: str
    level: str
    due_at: datetime
    raised_at: datetime
    status: str
    status_changed_at: datetime
    message: str
    escalation_level: int
    next_escalation_at: datetime | None


_PG_TYPES = ("text", "bigint", "text", "bigint", "bigint", "text", "text", "text", "text", "timestamptz",
             "timestamptz", "text", "timestamptz", "text", "smallint", "timestamptz")


# Cards travel to PostgreSQL as one JSON array of positional arrays (fast to encode, one parameter).
_ROWS_FROM_ARRAYS = "(SELECT " + ", ".join(  # noqa: S608 - constant column names
    f"(r->>{i})::{t} AS {name}" for i, (name, t) in enumerate(zip(Card._fields, _PG_TYPES, strict=True))
) + " FROM jsonb_array_elements(%s::jsonb) AS r)"


def insert_alerts(cards: Sequence[Card]) -> list[Card]:
    """Insert the cards that do not exist yet; returns the new ones (daily statistics updated for them).

    PostgreSQL: one ``INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING RETURNING`` per 5000 cards, so the
    result is exact even with concurrent writers. Other databases: existing keys are read first, then
    ``bulk_create(ignore_conflicts=True)`` (exact while the caller holds the subjects, e.g. SQLite's single
    writer). Either way the unique constraint is what guarantees one card per (subject, step, rule, level).
    """
    if not cards:
        return []
    seen: set[tuple] = set()
    unique: list[Card] = []
    for c in cards:
        k = (c.subject_type, c.subject_id, c.step, c.rule, c.level)
        if k not in seen:
            seen.add(k)
            unique.append(c)
    new = _insert_pg(unique) if connection.vendor == "postgresql" else _insert_generic(unique)
    _bump_daily_stats(new)
    return new


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class _IsoCache(dict):
    """ISO strings of datetimes, each formatted once (most cards of a sweep share raised_at)."""

    def __call__(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        out = self.get(value)
        if out is None:
            out = self[value] = value.isoformat()
        return out


def _insert_pg(cards: list[Card]) -> list[Card]:
    """One statement per 5000 cards; the rows travel as one JSON document (cheap to encode and to parse)."""
    table = Alert._meta.db_table
    columns = ", ".join(Card._fields)
    sql = (f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_ROWS_FROM_ARRAYS} AS x "  # noqa: S608
           "ON CONFLICT (subject_type, subject_id, step, rule, level) DO NOTHING "
           "RETURNING subject_type, subject_id, step, rule, level")
    new: list[Card] = []
    with connection.cursor() as cursor:
        for i in range(0, len(cards), 5000):
            part = cards[i : i + 5000]
            iso = _IsoCache()
            doc = json.dumps([
                [c.subject_type, c.subject_id, c.subject_no, c.case_id, c.department_id, c.region_code, c.step,
                 c.rule, c.level, c.due_at.isoformat(), iso(c.raised_at), c.status, iso(c.status_changed_at),
                 c.message, c.escalation_level, iso(c.next_escalation_at)] for c in part
            ], ensure_ascii=False)
            cursor.execute(sql, [doc])
            inserted = set(cursor.fetchall())
            new.extend(c for c in part if (c.subject_type, c.subject_id, c.step, c.rule, c.level) in inserted)
    return new


def _insert_generic(cards: list[Card]) -> list[Card]:
    by_type: dict[str, set[int]] = defaultdict(set)
    for c in cards:
        by_type[c.subject_type].add(c.subject_id)
    existing: set[tuple] = set()
    for subject_type, ids in by_type.items():
        id_list = list(ids)
        for i in range(0, len(id_list), 1000):
            for sid, step, rule, level in Alert.objects.filter(
                subject_type=subject_type, subject_id__in=id_list[i : i + 1000]
            ).values_list("subject_id", "step", "rule", "level"):
                existing.add((subject_type, sid, step, rule, level))
    new = [c for c in cards if (c.subject_type, c.subject_id, c.step, c.rule, c.level) not in existing]
    if new:
        Alert.objects.bulk_create([Alert(**c._asdict()) for c in new], ignore_conflicts=True, batch_size=2000)
    return new


def _bump_daily_stats(cards: Iterable[Card]) -> None:
    counts: Counter = Counter()
    tz = timezone.get_current_timezone()
    days: dict[datetime, Any] = {}  # raised_at -> local day (the cards of one run share their raised_at)
    for c in cards:
        day = days.get(c.raised_at)
        if day is None:
            day = days[c.raised_at] = c.raised_at.astimezone(tz).date()
        counts[(day, c.department_id, c.rule, c.level)] += 1
    if not counts:
        return
    table = AlertDailyStat._meta.db_table
    sql = (
        f"INSERT INTO {table} (day, department_id, rule, level, count) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (day, department_id, rule, level) DO UPDATE SET count = {table}.count + excluded.count"
    )
    params = [(connection.ops.adapt_datefield_value(d), dept, rule, level, n)
              for (d, dept, rule, level), n in sorted(counts.items())]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _new_alert(*, subject_type: str, subject_id: int, subject_no: str, case_id: int | None, department_id: int,
               region_code: str, step: str, rule: str, level: str, due_at: datetime, raised_at: datetime,
               message: str, item_id: int | None = None, settings_cache: dict | None = None) -> Card | None:
    cache = settings_cache if settings_cache is not None else {}
    key = (rule, department_id, item_id)
    s = cache.get(key)
    if s is None:
        s = cache[key] = config.setting(rule, department_id, item_id)
    if not s.enabled:
        return None
    status = s.initial_status
    return Card(subject_type, subject_id, subject_no[:64], case_id, department_id, region_code or "", step or "",
                rule, level, due_at, raised_at, status, raised_at, message, 0,
                raised_at if status == AlertStatus.ISSUED else None)


# --- the sweep ------------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    now: datetime
    subjects: dict[str, int] = field(default_factory=dict)  # subject type -> subjects processed
    raised: dict[str, int] = field(default_factory=dict)  # "rule/level" -> new cards
    rederived: int = 0
    seconds: float = 0.0

    @property
    def processed(self) -> int:
        return sum(self.subjects.values())

    @property
    def alerts(self) -> int:
        return sum(self.raised.values())

    def as_dict(self) -> dict:
        return {"now": self.now.isoformat(), "processed": self.processed, "alerts": self.alerts,
                "subjects": self.subjects, "raised": self.raised, "rederived": self.rederived,
                "seconds": round(self.seconds, 4)}


def _fields_for(subject: subjects.Subject) -> tuple[list[str], str | None, str | None, str | None]:
    model = subject.model
    names = {f.name for f in model._meta.get_fields()}
    label = subject.label_field or next((f for f in LABEL_FIELDS if f in names), None)
    case_attr = None
    if subject.case_field == "id" or model._meta.label_lower == "cases.case":
        case_attr = "id"
    elif subject.case_field:
        case_attr = f"{subject.case_field}_id"
    item_name = None
    if subject.item_field:
        item_name = f"{subject.item_field}__name"
    elif "item" in names:
        item_name = "item__name"
    fields_ = ["id", "deadlines", "department_id", "region_code"]
    for extra in (label, case_attr, item_name):
        if extra and extra not in fields_:
            fields_.append(extra)
    if model._meta.label_lower == "cases.case":
        fields_ += ["clock_state", "accepted_at", "item_id"]
    return fields_, label, case_attr, item_name


def _step_names(case_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    from xiaoneng.cases.models import CaseStep

    ids = list(case_ids)
    if not ids:
        return {}
    return {(cid, code): name for cid, code, name in
            CaseStep.objects.filter(case_id__in=ids).values_list("case_id", "code", "name")}


def _cards_for_rows(subject: subjects.Subject, rows: list[dict], now: datetime, raised_at: datetime,
                    settings_cache: dict) -> tuple[list[Card], list[tuple[int, datetime | None, str | None]], list]:
    """Alerts for every passed deadline, and (id, next_check_at, new clock_state|None) per row."""
    fields_, label, case_attr, item_name = _fields_for(subject)
    is_case = subject.model._meta.label_lower == "cases.case"
    need_step_names = [r["id"] for r in rows if is_case and any(
        (d.get("rule") == "step_limit") for d in (r["deadlines"] or []))]
    step_names = _step_names(need_step_names) if need_step_names else {}
    alerts: list[Card] = []
    updates: list[tuple[int, datetime | None, str | None]] = []
    rederive: list[int] = []
    for r in rows:
        passed, future = [], []
        for d in r["deadlines"] or []:
            at = _parse(d.get("at"))
            if at is None or d.get("rule") is None or d.get("level") not in LEVEL_RANK:
                continue
            (passed if at <= now else future).append((d, at))
        no = str(r.get(label) or r["id"]) if label else str(r["id"])
        item = r.get(item_name) or "" if item_name else ""
        case_id = r.get(case_attr) if case_attr else None
        for d, at in passed:
            step = d.get("step") or ""
            text = messages.render(d["rule"], d["level"], no=no, item=item,
                                   step=step_names.get((r["id"], step), step), due=at)
            a = _new_alert(subject_type=subject.subject_type, subject_id=r["id"], subject_no=no, case_id=case_id,
                           department_id=r["department_id"], region_code=r["region_code"], step=step,
                           rule=d["rule"], level=d["level"], due_at=at, raised_at=raised_at, message=text,
                           item_id=r.get("item_id"), settings_cache=settings_cache)
            if a is not None:
                alerts.append(a)
        next_at = min((at for _, at in future), default=None)
        new_state = None
        if is_case and r.get("clock_state") in ("normal", "warning", "yellow", "red"):
            phase = STATE_RULE_ACCEPTED if r.get("accepted_at") else STATE_RULE_PRE
            rank = LEVEL_RANK.get(r["clock_state"], 0)
            top = max((LEVEL_RANK[d["level"]] for d, _ in passed if d["rule"] == phase), default=0)
            if top > rank:
                new_state = next(k for k, v in LEVEL_RANK.items() if v == top)
        if is_case and not r.get("accepted_at") and any(
            d["rule"] == "pre_acceptance" and d["level"] == "red" for d, _ in passed
        ):
            rederive.append(r["id"])  # deemed acceptance (第32条): the clock starts; let the case engine re-derive
        updates.append((r["id"], next_at, new_state))
    return alerts, updates, rederive


def _write_updates(model, updates: list[tuple[int, datetime | None, str | None]], with_state: bool) -> None:
    if not updates:
        return
    table = model._meta.db_table
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        doc = json.dumps([[i, _iso(n), st] for i, n, st in updates])
        source = ("(SELECT (r->>0)::bigint AS id, (r->>1)::timestamptz AS n, (r->>2) AS s "
                  "FROM jsonb_array_elements(%s::jsonb) AS r)")
        state = ", clock_state = COALESCE(v.s, t.clock_state)" if with_state else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(table)} AS t SET next_check_at = v.n{state} FROM {source} AS v "  # noqa: S608
                "WHERE t.id = v.id",
                [doc],
            )
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(table)} SET next_check_at = %s WHERE id = %s",  # noqa: S608
                           [(adapt(n), i) for i, n, _s in updates])
        if with_state:
            changed = [(s, i) for i, _n, s in updates if s]
            if changed:
                cursor.executemany(f"UPDATE {qn(table)} SET clock_state = %s WHERE id = %s",  # noqa: S608
                                   changed)


def _sweep_chunk(subject: subjects.Subject, now: datetime, chunk: int, settings_cache: dict, result: SweepResult,
                 exclude: set[int]) -> int:
    """The portable sweep of one chunk (SQLite): rows read, cards and next checks computed in Python."""
    model = subject.model
    fields_ = _fields_for(subject)[0]
    qs = model._default_manager.filter(next_check_at__lte=now).order_by("next_check_at")
    if exclude:
        qs = qs.exclude(id__in=exclude)
    rows = list(qs.values(*fields_)[:chunk])
    if not rows:
        return 0
    alerts, updates, rederive = _cards_for_rows(subject, rows, now, now, settings_cache)
    new = insert_alerts(alerts)
    is_case = model._meta.label_lower == "cases.case"
    _write_updates(model, updates, with_state=is_case)
    _rederive(rederive, now, result)
    # A subject whose deadlines all passed may legitimately keep next_check_at <= now (nothing stored ahead):
    # never re-read it in this sweep.
    exclude.update(u[0] for u in updates if u[1] is not None and u[1] <= now)
    result.subjects[subject.subject_type] = result.subjects.get(subject.subject_type, 0) + len(rows)
    _count(result, Counter(f"{a.rule}/{a.level}" for a in new))
    return len(rows)


def _count(result: SweepResult, raised: dict[str, int]) -> None:
    for k, n in raised.items():
        result.raised[k] = result.raised.get(k, 0) + n


def _rederive(case_ids: list[int], now: datetime, result: SweepResult) -> None:
    """Deemed acceptance (第32条): the clock starts; let the case engine re-derive, then raise the re-derived
    thresholds that passed already (a sweep after downtime)."""
    if not case_ids:
        return
    from xiaoneng.cases.services import rederive_cases

    result.rederived += rederive_cases(case_ids, now=now)
    _count(result, raise_passed("cases.case", case_ids, now))


# --- the sweep on PostgreSQL: one statement per chunk -----------------------------------------------------------

_RANK_SQL = "CASE {} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in LEVEL_RANK.items()) + " ELSE 0 END"
_LEVEL_OF_RANK_SQL = "CASE {} " + " ".join(f"WHEN {v} THEN '{k}'" for k, v in LEVEL_RANK.items()) + " END"
_pg_sql_cache: dict[tuple, str] = {}


def _pg_sql(subject: subjects.Subject, claim: bool) -> str:
    """One statement that raises the passed deadlines of a set of subjects as cards — read from the subjects'
    ``deadlines`` JSON, rendered, inserted with ``ON CONFLICT DO NOTHING``, counted in the daily statistics —
    and returns (subjects, deemed-accepted case ids, {"rule/level": new cards}).

    ``claim``: the subjects are the next ``%(limit)s`` with ``next_check_at <= %(now)s``, claimed with
    ``FOR UPDATE SKIP LOCKED``; their ``next_check_at`` moves to their next future deadline (NULL: none) and a
    case's ``clock_state`` rises to the highest passed level of its phase rule. Otherwise the subjects are
    ``%(ids)s`` and nothing but the cards is written (:func:`raise_passed`).
    """
    key = (subject, claim)
    if key in _pg_sql_cache:
        return _pg_sql_cache[key]
    model = subject.model
    meta = model._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    _fields, label, case_attr, item_name = _fields_for(subject)
    is_case = meta.label_lower == "cases.case"

    def column(name: str) -> str:
        return "t." + qn(meta.get_field(name).column)

    no = f"coalesce(nullif({column(label)}::text, ''), t.id::text)" if label else "t.id::text"
    case_id = "t.id" if case_attr == "id" else (column(case_attr[:-3]) if case_attr else "NULL::bigint")
    item, join = "'事项'", ""
    if item_name:
        fk = meta.get_field(item_name.split("__")[0])
        join = (f"LEFT JOIN {qn(fk.related_model._meta.db_table)} i ON i.id = t.{qn(fk.column)}")
        item = "coalesce(nullif(i.name, ''), '事项')"
    columns = ["t.id", "t.ctid AS tid", "t.deadlines", "t.department_id", "coalesce(t.region_code, '') AS region_code",
               f"{no} AS no", f"{case_id} AS case_id", f"{item} AS item"]
    if is_case:
        columns += ["coalesce(t.item_id::text, '') AS item_key", "t.clock_state", "t.accepted_at IS NOT NULL AS accepted"]
    else:
        columns.append("'' AS item_key")
    select = f"SELECT {', '.join(columns)} FROM {table} t {join}"  # noqa: S608
    if claim:
        claimed = (f"{select} WHERE t.next_check_at <= %(now)s ORDER BY t.next_check_at LIMIT %(limit)s "
                   "FOR UPDATE OF t SKIP LOCKED")
    else:
        claimed = f"{select} WHERE t.id = ANY(%(ids)s::bigint[])"
    # The valid deadlines of one claimed subject ``c`` (read where needed: cheaper than joining them back).
    levels = ", ".join(f"'{lv}'" for lv in LEVEL_RANK)
    deadlines = (
        "SELECT d.rule, d.level, coalesce(d.step, '') AS step, d.at::timestamptz AS at "  # noqa: S608
        "FROM jsonb_to_recordset(CASE jsonb_typeof(c.deadlines) WHEN 'array' THEN c.deadlines ELSE '[]'::jsonb END"
        f") AS d(rule text, level text, step text, at text) WHERE d.rule IS NOT NULL AND d.level IN ({levels}) "
        "AND d.at <> ''"
    )
    # config.initial_statuses: the most specific key present wins (JSON null: the rule is off)
    status = "coalesce(" + ", ".join(
        f"%(statuses)s::jsonb -> (dl.rule || '|' || {d} || '|' || {i})"
        for d, i in (("c.department_id", "c.item_key"), ("''", "c.item_key"), ("c.department_id", "''"), ("''", "''"))
    ) + ") #>> '{}'"
    step_name, step_join = "dl.step", ""
    if is_case:
        from xiaoneng.cases.models import CaseStep

        step_join = (f"LEFT JOIN {qn(CaseStep._meta.db_table)} s ON dl.step <> '' AND s.case_id = c.id "
                     "AND s.code = dl.step")
        step_name = "coalesce(s.name, dl.step)"
    alert, stat = qn(Alert._meta.db_table), qn(AlertDailyStat._meta.db_table)
    sql = f"""
WITH claimed AS MATERIALIZED ({claimed}),
ins AS (
    INSERT INTO {alert} ({", ".join(Card._fields)})
    SELECT %(subject_type)s, c.id, left(c.no, 64), c.case_id, c.department_id, c.region_code, dl.step, dl.rule,
           dl.level, dl.at, %(now)s, k.status, %(now)s,
           format(coalesce(%(formats)s::jsonb ->> (dl.rule || '/' || dl.level), %(formats)s::jsonb ->> dl.level),
                  c.no, c.item, {step_name}, to_char(dl.at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI'), dl.rule),
           0, CASE WHEN k.status = 'issued' THEN %(now)s END
    FROM claimed c CROSS JOIN LATERAL ({deadlines}) AS dl CROSS JOIN LATERAL (SELECT {status} AS status) AS k
    {step_join}
    WHERE dl.at <= %(now)s AND k.status IS NOT NULL
    ON CONFLICT (subject_type, subject_id, step, rule, level) DO NOTHING
    RETURNING department_id, rule, level
),
stats AS (
    INSERT INTO {stat} (day, department_id, rule, level, count)
    SELECT (%(now)s AT TIME ZONE %(day_tz)s)::date, department_id, rule, level, count(*) FROM ins
    GROUP BY department_id, rule, level ORDER BY department_id, rule, level
    ON CONFLICT (day, department_id, rule, level) DO UPDATE SET count = {stat}.count + excluded.count
)"""  # noqa: S608 - identifiers and constants only; values are parameters
    raised = ("(SELECT coalesce(json_object_agg(k, n), '{}')::text FROM "
              "(SELECT rule || '/' || level AS k, count(*) AS n FROM ins GROUP BY 1) AS x)")
    if not claim:
        sql += f"\nSELECT (SELECT count(*) FROM claimed), '{{}}'::bigint[], {raised}"  # noqa: S608
    else:
        phase = f"CASE WHEN c.accepted THEN '{STATE_RULE_ACCEPTED}' ELSE '{STATE_RULE_PRE}' END"
        top = (f", max({_RANK_SQL.format('dl.level')}) FILTER (WHERE dl.at <= %(now)s AND dl.rule = {phase}) AS top"
               ", NOT c.accepted AND coalesce(bool_or(dl.rule = 'pre_acceptance' AND dl.level = 'red' "
               "AND dl.at <= %(now)s), false) AS deemed" if is_case else ", false AS deemed")
        state = ""
        if is_case:
            live = ", ".join(f"'{s}'" for s in ("normal", *LEVEL_RANK))
            state = (f", clock_state = CASE WHEN t.clock_state IN ({live}) AND a.top > "
                     f"{_RANK_SQL.format('t.clock_state')} THEN {_LEVEL_OF_RANK_SQL.format('a.top')} "
                     "ELSE t.clock_state END")
        # The claimed rows are locked by this statement: their ctid is where the UPDATE finds them.
        sql += f""",
agg AS (
    SELECT c.id, c.tid, x.* FROM claimed c CROSS JOIN LATERAL (
        SELECT min(dl.at) FILTER (WHERE dl.at > %(now)s) AS next_at{top} FROM ({deadlines}) AS dl
    ) AS x
),
upd AS (
    UPDATE {table} t SET next_check_at = a.next_at{state} FROM agg a WHERE t.ctid = a.tid RETURNING t.id
)
SELECT (SELECT count(*) FROM upd), (SELECT coalesce(array_agg(id), '{{}}') FROM agg WHERE deemed), {raised}"""  # noqa: S608
    _pg_sql_cache[key] = sql
    return sql


def _pg_raise(subject: subjects.Subject, now: datetime, *, limit: int = 0,
              ids: Sequence[int] = ()) -> tuple[int, list[int], dict[str, int]]:
    """Run :func:`_pg_sql` (claiming ``limit`` due subjects, or for ``ids``)."""
    from .catalogue import TIME_RULES

    params = {"now": now, "limit": limit, "ids": _id_array(ids), "subject_type": subject.subject_type,
              "statuses": json.dumps(config.initial_statuses(TIME_RULES)),
              "formats": json.dumps(messages.pg_formats(), ensure_ascii=False),
              "tz": timezone.get_default_timezone_name(), "day_tz": timezone.get_current_timezone_name()}
    with connection.cursor() as cursor:
        if not connection.get_autocommit():
            # The planner's guess for jsonb_to_recordset (100 rows a subject) would buy ~0.3 s of JIT compilation;
            # a chunk's claimed rows (with their deadlines) should stay in memory rather than spill to disk.
            cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
        cursor.execute(_pg_sql(subject, claim=not ids), params)
        processed, deemed, raised = cursor.fetchone()
    return processed, list(deemed), json.loads(raised)


def _sweep_chunk_pg(subject: subjects.Subject, now: datetime, chunk: int, result: SweepResult) -> int:
    processed, deemed, raised = _pg_raise(subject, now, limit=chunk)
    _count(result, raised)
    _rederive(deemed, now, result)
    if processed:
        result.subjects[subject.subject_type] = result.subjects.get(subject.subject_type, 0) + processed
    return processed


def _due_subjects(now: datetime) -> list[subjects.Subject]:
    """The registered subject types with anything due: one round trip (an EXISTS per type on its index)."""
    registered = subjects.all_subjects()
    if not registered:
        return []
    qn = connection.ops.quote_name
    parts = [f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {qn(s.model._meta.db_table)} "  # noqa: S608
             "WHERE next_check_at <= %s)" for i, s in enumerate(registered)]
    value = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [value] * len(parts))
        hits = {row[0] for row in cursor.fetchall()}
    return [s for i, s in enumerate(registered) if i in hits]


def sweep(now: datetime | None = None, limit: int | None = None, chunk: int = 10000) -> SweepResult:
    """Raise every passed deadline of every registered subject with ``next_check_at <= now``.

    PostgreSQL: one transaction per chunk, rows claimed with ``FOR UPDATE SKIP LOCKED``. SQLite (a single
    writer): one transaction. ``limit`` bounds the number of subjects processed in this call.
    """
    import time as _time

    started = _time.perf_counter()
    now = now or timezone.now()
    result = SweepResult(now=now)
    settings_cache: dict = {}
    remaining = limit if limit is not None else float("inf")
    pg = connection.vendor == "postgresql"

    due = _due_subjects(now)  # outside any transaction: an idle sweep takes no lock at all

    def run() -> None:
        nonlocal remaining
        for subject in due:
            exclude: set[int] = set()
            while remaining > 0:
                size = int(min(chunk, remaining))
                if pg:
                    with transaction.atomic():
                        n = _sweep_chunk_pg(subject, now, size, result)
                else:
                    n = _sweep_chunk(subject, now, size, settings_cache, result, exclude)
                remaining -= n
                if n < size:
                    break

    if due and pg:
        run()
    elif due:
        with transaction.atomic():
            run()
    result.seconds = _time.perf_counter() - started
    return result


def raise_passed(model_label: str, ids: Sequence[int], now: datetime | None = None) -> dict[str, int]:
    """Raise the passed deadlines of the given subjects at once (used when a case is recorded or closes:
    cards for thresholds that passed before the platform learnt of them). Does not move ``next_check_at``.
    Returns the new cards per "rule/level"."""
    subject = next((s for s in subjects.all_subjects() if s.model._meta.label_lower == model_label), None)
    if subject is None or not ids:
        return {}
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _pg_raise(subject, now, ids=ids)[2]
    fields_ = _fields_for(subject)[0]
    rows = list(subject.model._default_manager.filter(id__in=list(ids)).values(*fields_))
    alerts, _updates, _rederive = _cards_for_rows(subject, rows, now, now, {})
    return Counter(f"{a.rule}/{a.level}" for a in insert_alerts(alerts))


# --- irregularities (on each recorded batch) -------------------------------------------------------------------


def _id_array(ids: Iterable[int]) -> str:
    """A PostgreSQL ``bigint[]`` literal: one text parameter, cheaper to send than a list of a thousand ints."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


_CASE_COLUMNS = ("id", "case_no", "department_id", "region_code", "item_id", "item_version_id")
_VERSION_COLUMNS = ("separation_required", "handling_type", "max_extension_days")


def _case_rows(ids: Sequence[int], cases: Mapping[int, Any] | None) -> tuple[list[tuple], dict[int, Any]]:
    """(id, case_no, department, region, item, version) of the cases, and the ``ItemVersion`` instances already
    at hand: from the instances the case engine hands over, the rest read in one query."""
    from xiaoneng.cases.models import Case

    rows: list[tuple] = []
    versions: dict[int, Any] = {}
    missing = list(ids)
    if cases:
        missing = []
        version_cached = Case.item_version.is_cached
        for i in ids:
            c = cases.get(i)
            d = c.__dict__ if c is not None else {}
            try:  # the loaded fields (a deferred one is absent: that case is read below)
                row = (d["id"], d["case_no"], d["department_id"], d["region_code"], d["item_id"],
                       d["item_version_id"])
            except KeyError:
                row = None
            if row is None or row[0] is None:
                missing.append(i)
                continue
            rows.append(row)
            if row[5] not in versions and version_cached(c):
                versions[row[5]] = c.item_version
    if missing:
        rows.extend(filter_in(Case.objects.all(), "id", missing).values_list(*_CASE_COLUMNS))
    return rows, versions


# Published item versions are immutable (``catalog.models``: their fields, steps and fees can no longer change),
# so their facts are kept per process: version id -> (created_at, separation, handling type, max extension,
# fees, steps). ``created_at`` tells a re-used id apart (a rolled-back test database); drafts are never kept.
_version_facts: dict[int, tuple] = {}
_VERSION_FACTS_MAX = 512


def _facts_by_version(rows: list[tuple], versions: dict[int, Any]) -> dict[tuple[int, int], Any]:
    """``ItemFacts`` per (version, item) of the cases: published versions from the per-process memo, the others
    read in a few small queries by the distinct ids; item names (they may change) read in one small query."""
    from xiaoneng.catalog.models import Fee, ItemVersion, Step, VersionStatus

    from .irregularities import ItemFacts, StepFact

    pairs = {(r[5], r[4]) for r in rows}
    version_ids = {v for v, _i in pairs}
    stamps: dict[int, tuple] = {}  # version id -> (created_at, status, separation, handling, max extension)
    for vid, v in versions.items():
        stamps[vid] = (v.created_at, v.status, v.separation_required, v.handling_type, v.max_extension_days)
    unknown = version_ids - stamps.keys()
    if unknown:
        for vid, *values in ItemVersion.objects.filter(id__in=unknown).values_list(
            "id", "created_at", "status", "separation_required", "handling_type", "max_extension_days"
        ):
            stamps[vid] = tuple(values)
    known: dict[int, tuple] = {}
    for vid in version_ids:
        memo = _version_facts.get(vid)
        stamp = stamps.get(vid)
        if memo is not None and stamp is not None and memo[0] == stamp[0] and stamp[1] != VersionStatus.DRAFT:
            known[vid] = memo
    to_read = version_ids - known.keys()
    if to_read:
        fees: dict[int, dict] = defaultdict(dict)
        for vid, code, amount in Fee.objects.filter(version_id__in=to_read).values_list("version_id", "code",
                                                                                          "amount"):
            fees[vid][code] = amount
        steps: dict[int, list] = defaultdict(list)
        for vid, code, name, post, group in Step.objects.filter(version_id__in=to_read).order_by(
            "version_id", "order"
        ).values_list("version_id", "code", "name", "post", "parallel_group"):
            steps[vid].append(StepFact(code, name, post, group))
        for vid in to_read:
            created_at, status, separation, handling, max_extension = stamps.get(vid, (None, "", False, "", 0))
            known[vid] = entry = (created_at, bool(separation), handling or "", int(max_extension or 0),
                                  fees.get(vid, {}), tuple(steps.get(vid, ())))
            if vid in stamps and status != VersionStatus.DRAFT:
                if len(_version_facts) >= _VERSION_FACTS_MAX:
                    _version_facts.clear()
                _version_facts[vid] = entry
    names = _item_names({i for _v, i in pairs})
    out = {}
    for vid, item_id in pairs:
        _created, separation, handling, max_extension, fees_, steps_ = known[vid]
        out[(vid, item_id)] = ItemFacts(fees=fees_, steps=steps_, separation_required=separation,
                                        handling_type=handling, max_extension_days=max_extension,
                                        item_name=names.get(item_id) or "")
    return out


def _item_names(item_ids: set[int]) -> dict[int, str]:
    from xiaoneng.catalog.models import Item

    if not item_ids:
        return {}
    qn = connection.ops.quote_name
    sql = (f"SELECT id, {qn('name')} FROM {qn(Item._meta.db_table)} "  # noqa: S608 - identifiers, placeholders
           f"WHERE id IN ({', '.join(['%s'] * len(item_ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(item_ids))
        return dict(cursor.fetchall())


def _existing_cards(case_ids: Sequence[int]) -> set[tuple[int, str, str, str]]:
    """(case id, step, rule, level) of the irregularity cards the cases have already — most of their findings
    in a live feed, where every batch re-evaluates cases seen before — read in one statement on the unique
    card index, so that only new findings are rendered and sent (PostgreSQL). The insert stays ``ON CONFLICT
    DO NOTHING``: a card raised meanwhile by another writer is still not doubled."""
    sql = (f"SELECT subject_id, step, rule, level FROM {connection.ops.quote_name(Alert._meta.db_table)} "  # noqa: S608
           "WHERE subject_type = 'case' AND subject_id = ANY(%s::bigint[]) AND rule = ANY(%s::text[])")
    with connection.cursor() as cursor:
        cursor.execute(sql, [_id_array(case_ids), _IRREGULARITY_ARRAY])
        return set(cursor.fetchall())


_IRREGULARITY_ARRAY = "{" + ",".join(IRREGULARITY_RULES) + "}"


def evaluate_irregularities(case_ids: Sequence[int], now: datetime | None = None,
                            histories: Mapping[int, Sequence[Any]] | None = None,
                            cases: Mapping[int, Any] | None = None) -> list[Card]:
    """Run the irregularity rules over the touched cases (set-based: a fixed number of queries per batch).

    ``histories`` (case id → all its events, as the case engine hands them to ``events_recorded``) saves
    reading the events again, ``cases`` (case id → the re-derived ``Case``, its ``item_version`` attached)
    reading the cases; without them they are read in one query each. Item facts are read once per distinct
    version, rule settings looked up once per (rule, department, item)."""
    from xiaoneng.cases.models import CaseEvent

    from .irregularities import evaluate

    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return []
    overrides = config.has_overrides()
    if not overrides and not any(config.setting(r).enabled for r in IRREGULARITY_RULES):
        return []
    params = {r: config.setting(r).thresholds for r in ("late_report", "off_system")}
    rows, versions = _case_rows(ids, cases)
    if not rows:
        return []
    facts = _facts_by_version(rows, versions)
    events: Mapping[int, Sequence[Any]]
    if histories is not None and all(i in histories for i in ids):
        events = histories
    else:
        events = defaultdict(list)
        for e in filter_in(CaseEvent.objects.all(), "case", ids).only(
            "case_id", "type", "occurred_at", "received_at", "payload", "actor_id", "actor_name", "seq",
            "backfilled",
        ):
            events[e.case_id].append(e)
    raised_at = now or timezone.now()
    found = [(row, evaluate(events.get(row[0], ()), facts[(row[5], row[4])], params)) for row in rows]
    known = (_existing_cards([row[0] for row, findings in found if findings])
             if connection.vendor == "postgresql" else None)
    settings: dict[Any, tuple | None] = {}  # rule (rule, department, item with overrides) -> (level, status)
    issued = AlertStatus.ISSUED
    render = messages.render
    alerts: list[Card] = []
    add = alerts.append
    for (cid, case_no, department_id, region_code, item_id, version_id), findings in found:
        if not findings:
            continue
        item_name = facts[(version_id, item_id)].item_name
        for f in findings:
            key = (f.rule, department_id, item_id) if overrides else f.rule
            if key in settings:
                s = settings[key]
            else:
                rs = config.setting(f.rule, department_id, item_id)
                s = settings[key] = (rs.level, rs.initial_status) if rs.enabled else None
            if s is None:  # the rule is off (for this department / item)
                continue
            level, status = s[0] or f.level, s[1]
            if known is not None and (cid, f.step or "", f.rule, level) in known:
                continue  # the card exists: nothing to render or send
            text = render(f.rule, level, no=case_no, item=item_name, detail=f.message)
            add(Card("case", cid, case_no[:64], cid, department_id, region_code or "", f.step or "", f.rule, level,
                     f.at, raised_at, status, raised_at, text, 0, raised_at if status == issued else None))
    return insert_alerts(alerts)


def _with_passed_deadlines(case_ids: Sequence[int], cases: Mapping[int, Any] | None, now: datetime) -> list[int]:
    """The cases that can have a card to raise at ``now``: a deadline (as the engine has just derived it into
    ``Case.deadlines``) at or before ``now``. A live feed's cases mostly have none, and :func:`raise_passed`
    then has nothing to read. A case not handed over, or with deadlines not in hand, is kept (the query decides)."""
    if not cases:
        return list(case_ids)
    kept = []
    for case_id in case_ids:
        case = cases.get(case_id)
        deadlines = case.__dict__.get("deadlines") if case is not None else None
        if type(deadlines) is not list or any(_passed(d, now) for d in deadlines):
            kept.append(case_id)
    return kept


def _passed(deadline: Any, now: datetime) -> bool:
    at = deadline.get("at") if type(deadline) is dict else None
    if not at:
        return False  # raise_passed skips a deadline without an instant as well
    try:
        return datetime.fromisoformat(at) <= now
    except (TypeError, ValueError):
        return True  # not ours to judge: the query reads it


def on_events_recorded(sender=None, case_ids=None, events=None, histories=None, cases=None, **kwargs) -> None:
    """``cases.signals.events_recorded`` receiver: irregularities, and time-rule cards that had already passed
    when the events arrived (late reports, imports, a case closed after its dues). Never breaks recording."""
    if not case_ids:
        return
    # "now" of the batch: when the platform received the events (the instant the case engine derived at).
    received = [e.received_at for e in (events or ()) if getattr(e, "received_at", None) is not None]
    now = max(received) if received else timezone.now()
    try:
        with transaction.atomic():
            evaluate_irregularities(case_ids, now, histories, cases)
            raise_passed("cases.case", _with_passed_deadlines(case_ids, cases, now), now)
    except Exception:  # a supervision failure must not lose the events; the sweep catches up time rules
        logger.exception("supervision: evaluating recorded events failed for %d cases", len(case_ids))


# --- lifecycle ------------------------------------------------------------------------------------------------


def _record(alert: Alert | None, order: SupervisionOrder | None, from_status: str, to_status: str, action: str,
            actor, note: str = "", at: datetime | None = None) -> AlertTransition:
    return AlertTransition.objects.create(
        alert=alert, order=order, from_status=from_status, to_status=to_status, action=action,
        actor=actor if getattr(actor, "pk", None) else None, at=at or timezone.now(), note=note or "",
    )


def _supervisor_of(user, department_id: int) -> bool:
    from xiaoneng.org.scoping import can_read_department, is_supervisor

    return bool(user and user.is_authenticated and is_supervisor(user) and can_read_department(user, department_id))


def _member_of(user, department_id: int) -> bool:
    from xiaoneng.org.scoping import acting_posts

    if not (user and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    return user.department_id == department_id or any(d == department_id for d, _ in acting_posts(user))


def can_supervise(user, alert_or_order) -> bool:
    return _supervisor_of(user, alert_or_order.department_id)


def can_answer(user, alert_or_order) -> bool:
    """Department side: appeal a card, reply to an order."""
    return _member_of(user, alert_or_order.department_id)


TRANSITIONS = {
    # action: (allowed from, to, side)
    "confirm": ((AlertStatus.PENDING,), AlertStatus.ISSUED, "supervisor"),
    "dismiss": ((AlertStatus.PENDING,), AlertStatus.DISMISSED, "supervisor"),
    "appeal": ((AlertStatus.ISSUED,), AlertStatus.APPEALED, "department"),
    "revoke": ((AlertStatus.APPEALED, AlertStatus.ISSUED, AlertStatus.ESCALATED), AlertStatus.REVOKED,
               "supervisor"),
    "reject": ((AlertStatus.APPEALED,), AlertStatus.APPEAL_REJECTED, "supervisor"),
    "escalate": ((AlertStatus.APPEALED,), AlertStatus.ESCALATED, "supervisor"),
    "close": ((AlertStatus.ISSUED, AlertStatus.APPEAL_REJECTED, AlertStatus.ESCALATED), AlertStatus.CLOSED,
              "supervisor"),
}
ACTION_NAMES = {"confirm": "确认发出", "dismiss": "不予发出", "appeal": "申诉", "revoke": "撤销", "reject": "驳回申诉",
                "escalate": "上报", "close": "办结", "notify": "通知", "order": "督办", "reply": "反馈",
                "corrected": "已纠正", "accountability": "问责"}


def transition(alert: Alert, action: str, actor, note: str = "") -> Alert:
    """Apply a lifecycle action (see ``TRANSITIONS``) with permission checks; records an AlertTransition."""
    if action not in TRANSITIONS:
        raise ValidationError(f"unknown action {action}")
    allowed, to, side = TRANSITIONS[action]
    if side == "supervisor" and not can_supervise(actor, alert):
        raise PermissionDenied(_("只有监察员可以执行此操作"))
    if side == "department" and not can_answer(actor, alert):
        raise PermissionDenied(_("只有责任部门可以申诉"))
    if action in ("appeal", "reject", "escalate", "dismiss") and not (note or "").strip():
        raise ValidationError(_("请填写理由"))
    now = timezone.now()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status not in allowed:
            raise ValidationError(_("当前状态（%(status)s）不能执行该操作") % {"status": locked.get_status_display()})
        before = locked.status
        locked.status = to
        locked.status_changed_at = now
        fields_ = ["status", "status_changed_at"]
        if to == AlertStatus.ISSUED:
            locked.next_escalation_at = now  # notify the officer at the next escalation run
            fields_.append("next_escalation_at")
        elif to in (AlertStatus.REVOKED, AlertStatus.DISMISSED, AlertStatus.CLOSED, AlertStatus.APPEALED):
            locked.next_escalation_at = None
            fields_.append("next_escalation_at")
        elif to == AlertStatus.APPEAL_REJECTED and locked.escalation_level < 3:
            locked.next_escalation_at = now
            fields_.append("next_escalation_at")
        locked.save(update_fields=fields_)
        _record(locked, None, before, to, action, actor, note, now)
    return locked


# --- supervision orders (督办单) ---------------------------------------------------------------------------------


def _order_no(now: datetime) -> str:
    day = timezone.localtime(now).strftime("%Y%m%d")
    n = SupervisionOrder.objects.filter(order_no__startswith=f"DB{day}").count() + 1
    while SupervisionOrder.objects.filter(order_no=f"DB{day}{n:04d}").exists():
        n += 1
    return f"DB{day}{n:04d}"


def _calendar(region_code: str):
    from xiaoneng.workcal.selectors import UnknownRegion, get_calendar

    try:
        return get_calendar(region_code or None)
    except UnknownRegion:
        return get_calendar(None)


def order_deadlines(order: SupervisionOrder, now: datetime | None = None) -> tuple[list[dict], datetime | None]:
    """Deadlines of the ``order_reply`` rule: thresholds relative to the reply due; kept while unanswered,
    only those passed before the reply once answered. Returns (deadlines, next_check_at)."""
    cal = _calendar(order.region_code)
    spd = cal.seconds_per_day
    out = []
    for level, (anchor, days) in config.thresholds("order_reply", order.department_id).items():
        if anchor == "start":
            at = cal.due_after(order.issued_at, int(days)) + _ONE_SECOND
        elif days < 0:
            at = cal.subtract_working_seconds(order.reply_due, round(-days * spd))
            if at <= order.issued_at:
                continue
        else:
            at = cal.add_working_seconds(order.reply_due, round(days * spd)) + _ONE_SECOND
        if order.replied_at is not None and at > order.replied_at:
            continue
        out.append({"rule": "order_reply", "level": level, "step": "", "at": at.isoformat()})
    out.sort(key=lambda d: d["at"])
    now = now or timezone.now()
    future = [_parse(d["at"]) for d in out if _parse(d["at"]) > now]
    return out, (min(future) if future else None)




def issue_order(actor, *, department_id: int, instructions: str, reply_days: int = 3, alert: Alert | None = None,
                case=None, now: datetime | None = None) -> SupervisionOrder:
    if not _supervisor_of(actor, department_id):
        raise PermissionDenied(_("只有监察员可以督办"))
    if not (instructions or "").strip():
        raise ValidationError(_("请填写督办要求"))
    now = now or timezone.now()
    from xiaoneng.org.models import Department

    region_code = Department.objects.select_related("region").get(pk=department_id).region.code
    cal = _calendar(region_code)
    with transaction.atomic():
        order = SupervisionOrder(
            order_no=_order_no(now), alert=alert, case=case or (alert.case if alert else None),
            department_id=department_id, region_code=region_code, instructions=instructions.strip(),
            reply_days=reply_days, reply_due=cal.due_after(now, max(int(reply_days), 0)),
            issued_by=actor, issued_at=now,
        )
        order.deadlines, order.next_check_at = order_deadlines(order, now)
        order.save()
        _record(alert, order, "", OrderStatus.OPEN, "order", actor, instructions, now)
        from .notify import notify_department

        notify_department(order.department_id, messages_title(order), order.instructions,
                          f"/staff/supervision/orders/{order.pk}/", alert=alert)
    return order


def messages_title(order: SupervisionOrder) -> str:
    return f"【督办】督办单{order.order_no}，请于{messages.local_str(order.reply_due)}前反馈"


def reply_order(order: SupervisionOrder, actor, reply: str, now: datetime | None = None) -> SupervisionOrder:
    if not can_answer(actor, order):
        raise PermissionDenied(_("只有被督办部门可以反馈"))
    if not (reply or "").strip():
        raise ValidationError(_("请填写反馈内容"))
    now = now or timezone.now()
    with transaction.atomic():
        order = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.OPEN:
            raise ValidationError(_("该督办单已反馈"))
        order.status, order.reply, order.replied_by, order.replied_at = OrderStatus.REPLIED, reply.strip(), actor, now
        order.deadlines, order.next_check_at = order_deadlines(order, now)
        order.save()
        _record(order.alert, order, OrderStatus.OPEN, OrderStatus.REPLIED, "reply", actor, reply, now)
        if order.deadlines:
            raise_passed("supervision.supervisionorder", [order.pk], now)
    return order


def close_order(order: SupervisionOrder, actor, *, corrected: bool, conclusion: str = "",
                accountabilities: Sequence[dict] = (), now: datetime | None = None) -> SupervisionOrder:
    """Close as corrected (已纠正) or with accountability records (问责: person, step, measure)."""
    if not can_supervise(actor, order):
        raise PermissionDenied(_("只有监察员可以办结督办单"))
    if not corrected and not accountabilities:
        raise ValidationError(_("问责办结须至少记录一名责任人及问责措施"))
    now = now or timezone.now()
    with transaction.atomic():
        order = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if order.status not in (OrderStatus.OPEN, OrderStatus.REPLIED):
            raise ValidationError(_("该督办单已办结"))
        before = order.status
        order.status = OrderStatus.CORRECTED if corrected else OrderStatus.ACCOUNTABILITY
        order.closed_by, order.closed_at, order.conclusion = actor, now, conclusion
        if order.replied_at is None:
            order.deadlines = [d for d in order.deadlines if _parse(d["at"]) <= now]
        order.next_check_at = now if order.deadlines else None
        order.save()
        for acc in accountabilities:
            if not str(acc.get("person_name") or "").strip() or not str(acc.get("measure") or "").strip():
                raise ValidationError(_("问责记录须填写责任人和问责措施"))
            Accountability.objects.create(order=order, person=acc.get("person"),
                                          person_name=acc["person_name"], step=acc.get("step", ""),
                                          measure=acc["measure"], recorded_by=actor, recorded_at=now)
        _record(order.alert, order, before, order.status, "corrected" if corrected else "accountability", actor,
                conclusion, now)
        if order.alert_id:
            alert = Alert.objects.select_for_update().get(pk=order.alert_id)
            if alert.status in (AlertStatus.ISSUED, AlertStatus.APPEAL_REJECTED, AlertStatus.ESCALATED):
                prev = alert.status
                alert.status, alert.status_changed_at, alert.next_escalation_at = AlertStatus.CLOSED, now, None
                alert.save(update_fields=["status", "status_changed_at", "next_escalation_at"])
                _record(alert, order, prev, AlertStatus.CLOSED, "close", actor, conclusion, now)
    return order
