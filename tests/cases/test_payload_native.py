"""``_json_native`` decides whether a payload may skip the JSON round trip: it must say yes only when the round
trip would return the payload unchanged."""

import json
from datetime import datetime
from decimal import Decimal

import pytest

from xiaoneng.cases import chain
from xiaoneng.cases.services import _json_native


@pytest.mark.parametrize(("payload", "native"), [
    ({}, True),
    ({"step": "accept", "outcome": "pass", "n": 3, "ok": True, "none": None, "x": 1.5}, True),
    ({"applicant": {"name": "张三", "tags": ["a", {"b": [1, 2]}]}}, True),
    ({"amount": Decimal("12.50")}, False),
    ({"at": datetime(2026, 1, 5, 9, 0)}, False),
    ({"t": (1, 2)}, False),
    ({1: "int key"}, False),
    ({"f": float("inf")}, False),
    ({"f": float("nan")}, False),
])
def test_native_exactly_when_the_round_trip_is_the_identity(payload, native):
    assert _json_native(payload) is native
    if native:
        assert chain.normalise_payload(payload) == payload
        assert json.loads(chain.payload_json(payload)) == payload


def test_very_deep_payloads_take_the_round_trip():
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["d"] = {}
        node = node["d"]
    assert _json_native(deep) is False
