"""``exchange.parsing.storable``: the fast answer (orjson) must be the answer of its definition (json)."""

import json

from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.exchange.parsing import storable


def storable_by_definition(value) -> bool:
    try:
        text = json.dumps(value, ensure_ascii=False)
        text.encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError):
        return False
    return "\\u0000" not in text


# Text with NUL and lone surrogates among ordinary and CJK characters; integers beyond 64 bits; non-string keys.
texts = st.text(alphabet=st.sampled_from(["a", "值", "\x00", "\ud800", "\udfff", "\\", '"', "\n"]), max_size=6)
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | texts)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts | st.integers(0, 3), inner, max_size=3),
    max_leaves=12,
)


@given(values)
def test_storable_agrees_with_its_json_definition(value):
    assert storable(value) is storable_by_definition(value)


def test_storable_examples():
    assert storable({"name": "张三", "n": 2**80})
    assert not storable({"name": "a\x00b"})
    assert not storable(["\ud800"])
    assert storable({1: "x"})  # json makes the key a string
    assert not storable({"at": object()})
