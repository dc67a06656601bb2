from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.catalog.validation import FeeSpec, StepSpec, VersionSpec, effective_step_days, validate_version

FIVE = [StepSpec("accept", "受理", "acceptor", 1), StepSpec("review1", "初审", "reviewer1", 3),
        StepSpec("review2", "复审", "reviewer2", 2), StepSpec("decide", "决定", "decider", 2),
        StepSpec("notify", "办结告知", "notifier", 1)]  # 9 days
PARALLEL = [StepSpec("accept", days=1), StepSpec("plan", days=5, parallel_group="P1"),
            StepSpec("fire", days=8, parallel_group="P1"), StepSpec("decide", days=2)]  # 1 + max(5, 8) + 2 = 11


def spec(handling="promised", statutory=20, promised=10, steps=FIVE, fees=(), report_to=""):
    return VersionSpec(handling, statutory, promised, steps, fees, report_to)


CASES = [
    # (id, spec, expected problem codes)
    ("valid promised item", spec(), set()),
    ("promised equals statutory", spec(statutory=10, promised=10), set()),
    ("promised above statutory", spec(statutory=8, promised=10), {"promised_exceeds_statutory", }),
    ("steps exceed promised", spec(promised=8), {"steps_exceed_promised"}),
    ("steps exactly promised", spec(promised=9), set()),
    ("parallel group counts its maximum", spec(steps=PARALLEL, promised=11), set()),
    ("parallel group too long", spec(steps=PARALLEL, promised=10), {"steps_exceed_promised"}),
    ("no steps on a promised item", spec(steps=()), {"no_steps"}),
    ("instant without steps, promised 0", spec("instant", statutory=0, promised=0, steps=()), set()),
    ("instant with zero-day steps", spec("instant", statutory=5, promised=0,
                                         steps=[StepSpec("accept"), StepSpec("decide")]), set()),
    ("promised 0 only for instant items", spec(promised=0, steps=[StepSpec("accept")]), {"promised_zero"}),
    ("duplicate step code", spec(steps=FIVE + [StepSpec("accept")]), {"duplicate_step_code"}),
    ("negative fee", spec(fees=[FeeSpec("F1", "工本费", Decimal("-1"))]), {"negative_fee"}),
    ("fee zero is fine", spec(fees=[FeeSpec("F1", "工本费", Decimal("0"))]), set()),
    ("fee not a number", spec(fees=[FeeSpec("F1", "工本费", "十元")]), {"invalid_fee"}),
    ("duplicate fee code", spec(fees=[FeeSpec("F1", "a", 1), FeeSpec("F1", "b", 2)]), {"duplicate_fee_code"}),
    ("report item needs a target", spec("report"), {"missing_report_to"}),
    ("report item with target", spec("report", report_to="SZ-ZJJ"), set()),
    ("negative limits", spec(statutory=-1, promised=-2), {"invalid_limit"}),
    ("step without code", spec(steps=[StepSpec("", "受理", days=1)]), {"missing_step_code"}),
]


@pytest.mark.parametrize(("label", "version", "expected"), CASES, ids=[c[0] for c in CASES])
def test_validation_table(label, version, expected):
    problems = validate_version(version)
    assert {p.code for p in problems} == expected
    for problem in problems:
        assert problem.message and not problem.message.isascii()  # a Chinese message for the user


def test_message_names_the_numbers():
    [problem] = validate_version(spec(statutory=8, promised=10))
    assert "10" in problem.message and "8" in problem.message


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["", "A", "B"])), max_size=12))
def test_effective_days_between_max_and_sum(rows):
    steps = [StepSpec(f"s{i}", days=d, parallel_group=g) for i, (d, g) in enumerate(rows)]
    total = effective_step_days(steps)
    assert total <= sum(d for d, _ in rows)
    assert total >= max((d for d, _ in rows), default=0)
    sequential = sum(d for d, g in rows if not g)
    assert total >= sequential
