"""Set-based row writes for the case engine's hot path (``cases.services``).

PostgreSQL: rows go in with binary ``COPY … FROM STDIN`` and new primary keys are drawn from the table's identity
sequence in one query — several times faster than ``QuerySet.bulk_create``, whose SQL compilation and
per-value adaptation took most of a batch's time. The binary format (values dumped by the column's type, read
once from the catalogue) takes less than half the client CPU of the text format, whose timestamp rendering
alone was a third of a batch's COPY time. Other databases (the embedded SQLite): ``executemany`` of a
prepared ``INSERT`` / ``UPDATE`` (``bulk_create`` where the new ids are needed).

Values are given per model field (``attname``). On PostgreSQL psycopg dumps Python values by the column's type
(so a value must already be of the column's Python type: ``str`` for text, an aware ``datetime`` for
``timestamptz`` …) and JSON columns get their JSON text; elsewhere every value goes through the field's
``get_db_prep_save``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from django.db import connections, models, router
from django.db.models.base import ModelState
from psycopg.types.json import Jsonb

__all__ = [
    "JSONText", "create_objects", "insert_rows", "insert_rows_into", "loaded_instances", "update_rows", "update_values",
]


class JSONText(str):
    """A value for a JSON column that is already JSON text: written as it is, not encoded again."""


def loaded_instances(model, attnames: Sequence[str], rows: Iterable[Sequence[Any]], db: str) -> list[models.Model]:
    """Model instances for ``rows`` of ``values_list(*attnames)`` as if loaded by a queryset (``_state`` not
    adding, on ``db``), the fields not in ``attnames`` deferred like ``QuerySet.defer`` leaves them (absent from
    the instance dict: read on access). ``Model.from_db`` of a deferred row walks every field and ``__init__``
    sets each through its descriptor — about 35 µs per instance of a 40-field model, a sixth of the write
    path's time per event; this fills the instance dict directly."""
    new = model.__new__
    out = []
    for row in rows:
        obj = new(model)
        obj._state = st = ModelState()
        st.adding, st.db = False, db
        obj.__dict__.update(zip(attnames, row, strict=True))
        out.append(obj)
    return out


def _connection(model):
    return connections[router.db_for_write(model)]


def _converters(model, field_names: Sequence[str], conn) -> list[Callable[[Any], Any]]:
    meta = model._meta
    out: list[Callable[[Any], Any]] = []
    for name in field_names:
        f = meta.get_field(name)
        if isinstance(f, models.JSONField):
            if conn.vendor == "postgresql":
                out.append(lambda value, f=f: _jsonb(_json_text(value, f)))
            else:
                out.append(lambda value, f=f: _json_text(value, f))
        elif conn.vendor != "postgresql":
            out.append(lambda value, f=f: f.get_db_prep_save(value, conn))
        else:
            out.append(None)
    return out


def _json_text(value: Any, f: models.JSONField) -> str | None:
    if value is None or type(value) is JSONText:
        return value
    if f.encoder is None:
        # orjson: the same JSON for the plain values the write path stores (clock, deadlines, payloads), several
        # times faster. What it refuses (non-string keys, integers beyond 64 bits; datetimes and dataclasses,
        # which json refuses too) goes to json as before; a NaN becomes null (json's NaN is not JSON).
        try:
            return orjson.dumps(value, option=_ORJSON_STRICT).decode()
        except TypeError:
            pass
    return json.dumps(value, cls=f.encoder, ensure_ascii=False)


_ORJSON_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _jsonb(text: str | None) -> Jsonb | None:
    """JSON text for a binary COPY into a jsonb column: sent as it is (``str`` of a str is the str itself)."""
    return None if text is None else Jsonb(text, dumps=str)


# (table, columns) -> the columns' type oids, read once per process: the binary COPY format carries no type
# names, so each value is dumped by its column's type. Temporary staging tables share the types (and name) of
# their source's columns in every session.
_COLUMN_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _column_types(cursor, table: str, columns: Sequence[str]) -> list[int]:
    key = (table, tuple(columns))
    oids = _COLUMN_TYPES.get(key)
    if oids is None:
        cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                       "AND NOT attisdropped", [table])
        by_name = dict(cursor.fetchall())
        oids = _COLUMN_TYPES[key] = [by_name[c] for c in columns]
    return oids


def _prepared(converters, rows: Iterable[Sequence[Any]]):
    """Rows with their values converted; only the columns that need it are touched (on PostgreSQL, the JSON
    columns: psycopg dumps the rest)."""
    todo = [(i, c) for i, c in enumerate(converters) if c is not None]
    width = len(converters)
    for row in rows:
        row = list(row)
        if len(row) != width:
            raise ValueError(f"row of {len(row)} values for {width} columns")
        for i, c in todo:
            row[i] = c(row[i])
        yield row


def insert_rows(model, field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in ``field_names`` order); ids, if not given, come from the database."""
    insert_rows_into(model, _connection(model).ops.quote_name(model._meta.db_table), field_names, rows)


def insert_rows_into(model, table: str, field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """:func:`insert_rows` into ``table`` (quoted), whose columns are named like the model's."""
    conn = _connection(model)
    meta = model._meta
    qn = conn.ops.quote_name
    converters = _converters(model, field_names, conn)
    columns = [meta.get_field(name).column for name in field_names]
    col_sql = ", ".join(qn(c) for c in columns)
    conn.ensure_connection()
    if conn.vendor == "postgresql":
        # The raw psycopg cursor: wrap its errors as Django's (IntegrityError drives the write path's retry).
        with conn.wrap_database_errors, conn.cursor() as cursor:
            raw = cursor.cursor
            types = _column_types(raw, table, columns)
            with raw.copy(f"COPY {table} ({col_sql}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in _prepared(converters, rows):
                    copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(field_names))
    with conn.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({col_sql}) VALUES ({placeholders})",  # noqa: S608
                           list(_prepared(converters, rows)))


def create_objects(model, objs: Sequence[models.Model]) -> None:
    """Insert unsaved model instances and set their primary keys (``pre_save`` applied, e.g. ``auto_now``)."""
    if not objs:
        return
    conn = _connection(model)
    if conn.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    pk = meta.pk
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    fields = [f for f in meta.concrete_fields if f is not pk]
    # Field.pre_save is getattr for most fields: call it only where it does more (auto_now dates, files …).
    plain = [type(f).pre_save is models.Field.pre_save
             or (isinstance(f, models.DateField) and not (f.auto_now or f.auto_now_add)) for f in fields]
    rows = []
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        values = obj.__dict__
        rows.append([new_id, *(values[f.attname] if p else f.pre_save(obj, True) for f, p in zip(fields, plain, strict=True))])
        obj._state.adding, obj._state.db = False, conn.alias
    insert_rows(model, [pk.attname, *(f.attname for f in fields)], rows)


def update_rows(model, objs: Sequence[Any], field_names: Sequence[str]) -> None:
    """Set ``field_names`` of every object (attributes ``pk`` and ``field_names``) in its row."""
    attnames = [model._meta.get_field(name).attname for name in field_names]
    update_values(model, field_names, [(o.pk, *(getattr(o, a) for a in attnames)) for o in objs])


def update_values(model, field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Set ``field_names`` to the values of each row ``(pk, *values)`` in the row with that primary key.

    PostgreSQL: the new values are COPied into a session-private staging table and applied by one
    ``UPDATE … FROM`` (one statement instead of one per row). Elsewhere: one prepared ``UPDATE … WHERE pk =
    %s`` run by ``executemany``. (``QuerySet.bulk_update`` builds one CASE WHEN per field over all rows, which is
    quadratic: ≈40 s for 500 cases on SQLite.)
    """
    if not rows:
        return
    meta = model._meta
    conn = _connection(model)
    qn = conn.ops.quote_name
    columns = [meta.get_field(name).column for name in field_names]
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    # Identifiers come from model metadata (quoted); values are bound as parameters or COPied.
    if conn.vendor == "postgresql":
        staging = qn(f"_xn_upd_{meta.db_table}_{zlib.crc32(' '.join(columns).encode()):08x}")
        col_sql = ", ".join(qn(c) for c in columns)
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
                           f"SELECT {pk}, {col_sql} FROM {table} WITH NO DATA")
            cursor.execute(f"TRUNCATE {staging}")
        insert_rows_into(model, staging, [meta.pk.attname, *field_names], rows)
        assignments = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in columns)
        with conn.cursor() as cursor:
            cursor.execute(f"UPDATE {table} t SET {assignments} FROM {staging} s "  # noqa: S608
                           f"WHERE t.{pk} = s.{pk}")
        return
    converters = _converters(model, field_names, conn)
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    params = [[*(v if c is None else c(v) for c, v in zip(converters, row[1:], strict=True)), row[0]]
              for row in rows]
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)
