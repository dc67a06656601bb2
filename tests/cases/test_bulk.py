"""The set-based row helpers of the write path (``cases.bulk``): what they write and load must be what the ORM
would have written and loaded."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.cases.bulk import _json_text, loaded_instances
from xiaoneng.cases.models import Case

from .conftest import at, submitted

CLOCK = Case._meta.get_field("clock")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values.filter(lambda v: v is not None))  # None is SQL NULL, not JSON null
def test_json_text_is_json_of_the_same_value(value):
    assert json.loads(_json_text(value, CLOCK)) == value


@pytest.mark.parametrize("value, expected", [
    ({1: "a"}, {"1": "a"}),  # non-string keys: orjson refuses, json converts
    ({"n": 2**70}, {"n": 2**70}),  # beyond 64 bits
    ({"k": "中文"}, {"k": "中文"}),
])
def test_json_text_falls_back_to_json_where_orjson_refuses(value, expected):
    assert json.loads(_json_text(value, CLOCK)) == expected


def test_json_text_refuses_what_json_refuses_and_writes_no_nan():
    from datetime import datetime

    with pytest.raises(TypeError):
        _json_text({"at": datetime(2026, 1, 1)}, CLOCK)  # noqa: DTZ001
    text = _json_text({"x": math.nan}, CLOCK)
    assert json.loads(text) == {"x": None} and "NaN" not in text


def test_loaded_instances_match_a_deferred_queryset_load(county, django_assert_num_queries):
    from xiaoneng.cases.services import record_events

    record_events([submitted("C1", at(2025, 9, 1), county)])
    names = ("id", "case_no", "department_id", "event_count", "last_hash")
    row = Case.objects.values_list(*names).get(case_no="C1")
    (case,) = loaded_instances(Case, names, [row], "default")
    orm = Case.objects.only(*names).get(case_no="C1")
    assert case.get_deferred_fields() == orm.get_deferred_fields()
    assert (case.pk, case.case_no, case.event_count, case.last_hash) == (orm.pk, orm.case_no, orm.event_count,
                                                                        orm.last_hash)
    assert not case._state.adding and case._state.db == "default"
    with django_assert_num_queries(1):  # a deferred field is read on access, like the ORM's
        status = case.status
    assert status == Case.objects.get(case_no="C1").status != ""
    with pytest.raises(ValueError):
        loaded_instances(Case, names, [row[:-1]], "default")


def test_rows_written_by_insert_rows_and_update_values_read_back_as_given(county):
    """Every column kind of the hot path's tables (text, integers, smallint, boolean, timestamptz with any offset,
    JSON as text or as a value, NULL) round-trips through COPY (binary on PostgreSQL) and the staging update."""
    from datetime import datetime, timedelta, timezone

    from xiaoneng.cases.bulk import JSONText, insert_rows, update_values
    from xiaoneng.cases.models import CaseEvent, CaseStep
    from xiaoneng.cases.services import record_events

    record_events([submitted("C1", at(2025, 9, 1), county)])
    case = Case.objects.get(case_no="C1")
    east = timezone(timedelta(hours=8))
    occurred = datetime(2025, 9, 2, 10, 30, 15, 123456, tzinfo=east)
    insert_rows(CaseEvent, ("case", "region_code", "department", "seq", "source_system", "event_id", "type",
                            "occurred_at", "received_at", "actor_id", "actor_name", "acting_for", "payload",
                            "backfilled", "prev_hash", "hash"), [
        (case.pk, "330122", case.department_id, 2, "SYS", "e-2", "accepted", occurred, occurred, "u1", "李四", "",
         JSONText('{"opinion":"同意","n":[1,2.5,null]}'), True, "p" * 64, "h" * 64),
        (case.pk, "330122", case.department_id, 3, "SYS", "e-3", "accepted", occurred, occurred, "", "", "",
         {"nested": {"k": "值"}}, False, "h" * 64, "i" * 64),
    ])
    e2, e3 = CaseEvent.objects.filter(case=case, seq__gte=2).order_by("seq")
    assert (e2.event_id, e2.actor_name, e2.payload, e2.backfilled) == ("e-2", "李四", {"opinion": "同意", "n": [1, 2.5, None]}, True)
    assert e2.occurred_at == occurred and e3.payload == {"nested": {"k": "值"}} and e3.backfilled is False

    step = CaseStep.objects.filter(case=case).order_by("order").first()
    update_values(CaseStep, ["status", "started_at", "due", "completed_at", "actor_name", "outcome"],
                  [(step.pk, "done", occurred, None, occurred, "王五", "pass")])
    step.refresh_from_db()
    assert (step.status, step.started_at, step.due, step.completed_at, step.actor_name, step.outcome) == (
        "done", occurred, None, occurred, "王五", "pass")
