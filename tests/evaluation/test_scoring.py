"""The pure scorer against the default standard of domain-rules §5: table-driven arithmetic and properties."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.evaluation.defaults import CARD_CATEGORIES, default_spec
from xiaoneng.evaluation.scoring import (
    CategorySpec,
    DepartmentData,
    RuleSpec,
    StandardSpec,
    competition_ranks,
    grade_for,
    mean_result,
    score,
)

SPEC = default_spec()
_ids = iter(range(1, 10**9))


def card(rule: str, level: str) -> dict:
    n = next(_ids)
    return {"id": n, "rule": rule, "level": level, "case_no": f"C{n}"}


def cat(result, code):
    return next(c for c in result.categories if c.code == code)


def test_default_standard_shape():
    assert SPEC.base == 100
    assert {c.code: c.weight for c in SPEC.categories} == {
        "openness": 10, "process": 14, "time_limits": 14, "fees": 8, "satisfaction": 10, "attitude": 10,
        "oversight": 14, "liability": 10, "integrity": 10}
    # early completion: +1 at 10 %, then +1 per 10 % → +10 at 100 %; promised speed-up +3 at 30 % → +10 at 100 %
    assert SPEC.max_bonus() == 20


def test_clean_department_scores_100():
    result = score(SPEC, DepartmentData())
    assert result.total == 100 and result.grade == "excellent"
    assert all(c.points == c.weight for c in result.categories)


# (facts/indicators, category, expected category points, arithmetic)
CASES = [
    ({"cards": [card("case_limit", "warning") for _ in range(2)]}, "time_limits", 14, "2 warnings: 2 // 3 = 0"),
    ({"cards": [card("case_limit", "warning") for _ in range(3)]}, "time_limits", 11, "3 warnings → −3"),
    ({"cards": [card("step_limit", "warning") for _ in range(4)]}, "time_limits", 11, "4 warnings → −3"),
    ({"cards": [card("step_limit", "warning") for _ in range(6)]}, "time_limits", 8, "6 warnings → −6"),
    ({"cards": [card("case_limit", "yellow")]}, "time_limits", 9, "14 − 5"),
    ({"cards": [card("case_limit", "red")]}, "time_limits", 4, "14 − 10"),
    ({"cards": [card("case_limit", "red"), card("delivery", "yellow")]}, "time_limits", 0, "14 − 15 → floor 0"),
    ({"cards": [card("illegal_fee", "red")]}, "fees", 0, "8 − 10 → floor 0"),
    ({"cards": [card("no_separation", "warning") for _ in range(3)]}, "process", 11, "14 − 3"),
    ({"cards": [card("late_report", "warning") for _ in range(3)]}, "openness", 7, "10 − 3"),
    ({"cards": [card("rectification", "yellow")]}, "satisfaction", 5, "10 − 5"),
    ({"cards": [card("complaint", "red")]}, "attitude", 0, "10 − 10"),
    ({"cards": [card("order_reply", "yellow")]}, "oversight", 9, "14 − 5"),
    ({"indicators": {"data_timeliness_rate": 0.99}}, "openness", 9, "1 % short → −1"),
    ({"indicators": {"data_timeliness_rate": 0.975}}, "openness", 8, "2.5 % short → 2 full % → −2"),
    ({"indicators": {"data_timeliness_rate": 0.5}}, "openness", 5, "50 % short → −50, cap −5"),
    ({"indicators": {"data_timeliness_rate": None}}, "openness", 10, "no events: nothing to deduct"),
    ({"verified_complaints": [{"type": "attitude"}, {"type": "irregular"}]}, "attitude", 6, "2 × −2"),
    ({"verified_complaints": [{"type": "extortion"}]}, "integrity", 8, "extortion → integrity −2"),
    ({"verified_complaints": [{"type": "fees"}]}, "fees", 6, "fees complaint → fees −2"),
    ({"bad_not_rectified": [{"receipt_no": "R1"}] * 3}, "satisfaction", 4, "3 × −2"),
    ({"supervision_orders": [{"order_no": "D1"}]}, "oversight", 13, "1 order −1"),
    ({"accountabilities": [{"person_name": "张三"}] * 3}, "liability", 0, "3 × −5 → floor 0"),
    ({"indicators": {"early_rate": 0.099}}, "time_limits", 14, "below 10 %: no bonus"),
    ({"indicators": {"early_rate": 0.10}}, "time_limits", 15, "10 % → +1"),
    ({"indicators": {"early_rate": 0.2999}}, "time_limits", 16, "29.99 % → +1 +1"),
    ({"indicators": {"early_rate": 1.0}}, "time_limits", 24, "100 % → +10"),
    ({"indicators": {"promised_speedup_rate": 0.29}}, "time_limits", 14, "below 30 %: nothing"),
    ({"indicators": {"promised_speedup_rate": 1 - 0.7}}, "time_limits", 17, "30 % (float 0.30000000000000004) → +3"),
    ({"indicators": {"promised_speedup_rate": 0.5}}, "time_limits", 19, "50 % → +3 +2"),
    ({"cards": [card("case_limit", "red"), card("case_limit", "red")], "indicators": {"early_rate": 0.3}},
     "time_limits", 3, "14 − 20 → 0, then bonuses +3 on top"),
]


def _data(spec: dict) -> DepartmentData:
    indicators = spec.get("indicators", {})
    facts = {k: v for k, v in spec.items() if k != "indicators"}
    return DepartmentData(indicators=indicators, facts=facts)


@pytest.mark.parametrize("spec,code,expected,why", CASES, ids=[c[3] for c in CASES])
def test_category_arithmetic(spec, code, expected, why):
    result = score(SPEC, _data(spec))
    assert cat(result, code).points == Decimal(expected), why
    others = sum(c.points for c in result.categories if c.code != code)
    assert result.total == others + Decimal(expected)


def test_small_county_department_a_hand_computed():
    """A department, by hand:

    time limits 14: 4 warnings → −3 (4 // 3 = 1), 1 yellow → −5 = 6; bonuses on top: 提前办结率 25 % → +1 (10 %)
                    +1 (20 %) = +2; 承诺提速率 45 % → +3 (30 %) +1 (40 %) = +4 → 6 + 6 = 12
    process 14: 2 yellow (procedure_violation, off_system) = −10 → 4
    fees 8: 1 red (illegal_fee) = −10 → 0 (no category below zero)
    openness 10: 数据上报及时率 92.5 % → 7 full % short → −7, capped at −5 → 5
    attitude 10: 1 verified complaint → 8;  integrity 10: 1 吃拿卡要 complaint → 8
    satisfaction 10: 1 差评 not rectified in time → 8;  oversight 14, liability 10 untouched
    total = 12 + 4 + 0 + 5 + 8 + 8 + 8 + 14 + 10 = 69 → 合格
    """
    cards = ([card("case_limit", "warning") for _ in range(4)] + [card("case_limit", "yellow")]
             + [card("procedure_violation", "yellow"), card("off_system", "yellow"), card("illegal_fee", "red")])
    data = DepartmentData(
        indicators={"early_rate": 0.25, "promised_speedup_rate": 0.45, "data_timeliness_rate": 0.925},
        facts={"cards": cards, "verified_complaints": [{"type": "attitude"}, {"type": "extortion"}],
               "bad_not_rectified": [{"receipt_no": "R1"}]})
    result = score(SPEC, data)
    got = {c.code: c.points for c in result.categories}
    assert got == {"time_limits": 12, "process": 4, "openness": 5, "attitude": 8, "integrity": 8,
                   "satisfaction": 8, "fees": 0, "oversight": 14, "liability": 10}
    assert result.total == Decimal("69") and result.grade == "pass"


def test_manual_sanction_lands_in_its_category_with_reason():
    data = DepartmentData(manual=[{"category": "liability", "points": "-3", "reason": "通报批评", "id": 7}])
    result = score(SPEC, data)
    liability = cat(result, "liability")
    assert liability.points == 7
    line = next(ln for ln in liability.lines if ln.kind == "manual")
    assert line.label == "通报批评" and line.facts["items"][0]["id"] == 7


def test_lines_carry_their_facts():
    cards = [card("case_limit", "warning") for _ in range(4)]
    result = score(SPEC, DepartmentData(facts={"cards": cards}))
    line = next(ln for ln in result.lines if ln.rule_code == "warnings" and ln.category == "time_limits")
    assert line.points == -3
    assert [f["id"] for f in line.facts["items"]] == [c["id"] for c in cards]
    assert line.facts["counted"] == 3 and line.facts["total"] == 4


@pytest.mark.parametrize("total,grade", [
    (100, "excellent"), (90, "excellent"), (Decimal("89.99"), "good"), (80, "good"), (Decimal("79.99"), "pass"),
    (60, "pass"), (Decimal("59.99"), "fail"), (0, "fail")])
def test_grades(total, grade):
    assert grade_for(Decimal(total)) == grade


def test_competition_ranks():
    assert competition_ranks({"a": Decimal(90), "b": Decimal(95), "c": Decimal(90), "d": Decimal(80)}) == {
        "b": 1, "a": 2, "c": 2, "d": 4}


def test_quarter_is_mean_of_months():
    months = [score(SPEC, DepartmentData(facts={"cards": [card("case_limit", "red")] * k})) for k in (0, 1, 2)]
    q = mean_result(SPEC, months)
    assert [m.total for m in months] == [100, 90, 86]
    assert q.total == Decimal("92.00")  # (100 + 90 + 86) / 3 = 92
    assert cat(q, "time_limits").points == Decimal("6.00")  # (14 + 4 + 0) / 3


def test_rule_spec_validation():
    with pytest.raises(ValueError):
        RuleSpec(code="x", name="x", kind="nonsense")
    with pytest.raises(ValueError):
        RuleSpec(code="x", name="x", kind="per_n", n=0)


def test_bonus_cap():
    spec = StandardSpec("t", 1, [CategorySpec("c", "c", 10, [RuleSpec(
        code="b", name="b", kind="threshold_bonus", indicator="r", threshold="0.1", points=1, step="0.1",
        step_points=1, cap=3)])])
    assert score(spec, DepartmentData(indicators={"r": 0.9})).total == 13
    assert spec.max_bonus() == 3


# --- properties ------------------------------------------------------------------------------------------------

ALL_RULES = sorted({r for rules in CARD_CATEGORIES.values() for r in rules})
cards_st = st.lists(st.builds(lambda r, lv: {"rule": r, "level": lv},
                              st.sampled_from(ALL_RULES), st.sampled_from(["warning", "yellow", "red"])),
                    max_size=40)
rates = st.one_of(st.none(), st.floats(0, 1))
data_st = st.builds(
    lambda cards, early, speed, data_rate, complaints, bad: DepartmentData(
        indicators={"early_rate": early, "promised_speedup_rate": speed, "data_timeliness_rate": data_rate},
        facts={"cards": cards, "verified_complaints": [{"type": t} for t in complaints],
               "bad_not_rectified": [{}] * bad}),
    cards_st, rates, rates, rates,
    st.lists(st.sampled_from(["irregular", "fees", "attitude", "extortion", "other"]), max_size=8),
    st.integers(0, 8))


@given(data_st)
def test_total_within_bounds(data):
    result = score(SPEC, data)
    assert 0 <= result.total <= SPEC.base + SPEC.max_bonus()
    for c in result.categories:
        assert c.points >= 0
        assert c.points - c.bonuses <= c.weight


@given(data_st, st.sampled_from(ALL_RULES), st.sampled_from(["warning", "yellow", "red"]))
def test_more_cards_never_raise_the_score(data, rule, level):
    more = DepartmentData(indicators=data.indicators,
                          facts={**data.facts, "cards": [*data.facts["cards"], {"rule": rule, "level": level}]})
    assert score(SPEC, more).total <= score(SPEC, data).total


@given(data_st, st.data())
def test_revoking_a_card_never_lowers_the_score(data, draw):
    cards = data.facts["cards"]
    if not cards:
        return
    i = draw.draw(st.integers(0, len(cards) - 1))
    revoked = DepartmentData(indicators=data.indicators,
                             facts={**data.facts, "cards": cards[:i] + cards[i + 1:]})
    assert score(SPEC, revoked).total >= score(SPEC, data).total


@given(data_st, st.floats(0, 1), st.floats(0, 1))
def test_better_data_timeliness_never_lowers_the_score(data, a, b):
    lo, hi = sorted((a, b))
    worse = DepartmentData(indicators={**data.indicators, "data_timeliness_rate": lo}, facts=data.facts)
    better = DepartmentData(indicators={**data.indicators, "data_timeliness_rate": hi}, facts=data.facts)
    assert score(SPEC, better).total >= score(SPEC, worse).total


@given(data_st)
def test_deterministic(data):
    assert score(SPEC, data) == score(SPEC, data)
