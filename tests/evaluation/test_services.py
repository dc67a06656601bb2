"""evaluate_period over rows built directly: the default standard reproduces the hand-computed scores.

Department A, October 2026 (fixture ``scored_county``):
  依法时限 14: 4 warnings → −3 (4 // 3 = 1 group); 1 yellow → −5; the revoked red, the pending yellow and the
              September red do not count → 14 − 8 = 6.
              bonuses on top: 提前办结率 3/10 = 30 % → +1 (10 %) +1 (20 %) +1 (30 %) = +3;
              承诺提速率 1 − 10/20 = 50 % → +3 (30 %) +1 (40 %) +1 (50 %) = +5 → 6 + 8 = 14
  程序规范 14: red procedure_violation (appeal rejected: counts) −10, yellow no_reason −5 → −15 → 0 (floor)
  公开透明 10: 37 of 40 events on time = 92.5 % → 7 full % short → −7, capped at −5 → 5
  服务态度 10: 1 substantiated complaint → 8 (the unsubstantiated one is ignored)
  廉洁从政 10: 1 吃拿卡要 complaint found partly true → 8
  群众满意 10: 1 差评 rectified late → −2 → 8 (one rectified in time, one removed)
  收费规范 8, 监督整改 14, 法律责任 10: untouched
  total = 14 + 0 + 5 + 8 + 8 + 8 + 8 + 14 + 10 = 75 → 合格
Department B: no case at all in October; its score (承诺提速率 50 % → +5 → 105) is kept but shown as 无办件 and not
ranked — an idle department must not top the ranking. A ranks 1.
Totals above 100 are correct: §5 adds the bonuses on top of the base 100 (at most 100 + 10 + 10 = 120).
"""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from xiaoneng.evaluation import services
from xiaoneng.evaluation.models import Category, ImmutableError, ManualAdjustment, Score, Standard
from xiaoneng.supervision.models import Alert

from .conftest import TZ, at, make_case, make_event

pytestmark = pytest.mark.django_db

EXPECTED_A = {"time_limits": 14, "process": 0, "openness": 5, "attitude": 8, "integrity": 8, "satisfaction": 8,
              "fees": 8, "oversight": 14, "liability": 10}


def cats(score: Score) -> dict:
    return {ln.category: ln.points for ln in score.lines.filter(kind="category")}


def run(as_of, key="2026-10", **kw):
    return {s.department.code: s for s in services.evaluate_period(key, as_of=as_of, **kw)}


def test_default_standard_is_shipped_published():
    std = Standard.objects.get(number=1, status="published")
    assert sum(c.weight for c in std.categories.all()) == 100
    assert std.categories.count() == 9


def test_hand_computed_county(scored_county, as_of):
    scores = run(as_of)
    a, b = scores["DA"], scores["DB"]
    assert cats(a) == EXPECTED_A
    assert a.total == Decimal("75.00") and a.grade == "pass"
    assert b.total == Decimal("105.00") and not b.has_cases and b.grade_label == "无办件"
    assert (a.rank, b.rank) == (1, None) and a.has_cases and a.grade_label == "合格"
    assert "JC" not in scores  # the supervision office is not scored


def test_indicators_of_department_a(scored_county, as_of):
    ind = run(as_of)["DA"].indicators
    assert ind["decided"] == 10 and ind["on_time_rate"] == 0.9
    assert ind["early_rate"] == 0.3
    assert ind["avg_speedup_rate"] == pytest.approx(0.625)  # (3·0.9 + 6·0.525 + 0.4) / 10
    assert ind["promised_speedup_rate"] == 0.5
    assert ind["onsite_rate"] == 0.0
    assert ind["data_timeliness_rate"] == 0.925
    assert ind["satisfaction_rate"] == pytest.approx(1 / 3)  # 3 ratings (removed one excluded), 2 差评
    assert ind["rectification_on_time_rate"] == 0.5


def test_history_imported_in_the_month_is_not_counted_as_reporting(scored_county, as_of):
    case = scored_county.cases["early"][1]
    for day in range(1, 11):  # 二次入录 of last year's history, received in October
        make_event(case, at(day, 9, year=2025), at(day, 10), backfilled=True)
    assert run(as_of)["DA"].indicators["data_timeliness_rate"] == 0.925  # still 37 of 40


def test_lines_carry_facts(scored_county, as_of):
    a = run(as_of)["DA"]
    warn = a.lines.get(category="time_limits", rule_code="warnings")
    assert warn.points == -3
    assert sorted(f["id"] for f in warn.facts["items"]) == sorted(x.pk for x in scored_county.alerts["warnings"])
    yellow = a.lines.get(category="time_limits", rule_code="yellow")
    assert [f["case_no"] for f in yellow.facts["items"]] == [scored_county.cases["late"][0].case_no]
    assert a.lines.get(category="time_limits", rule_code="red").points == 0  # revoked red
    late = a.lines.get(category="openness", rule_code="late_data")
    assert late.points == -5 and late.facts["total"] == 1  # the three late events belong to one case
    assert late.facts["items"][0]["case_no"] == scored_county.cases["early"][0].case_no
    assert late.facts["items"][0]["late_events"] == 3
    complaint = a.lines.get(category="attitude", rule_code="complaints")
    assert [f["receipt_no"] for f in complaint.facts["items"]] == [scored_county.complaints["attitude"].receipt_no]
    early = a.lines.get(category="time_limits", rule_code="early_bonus")
    assert early.points == 3 and early.indicator_value == 0.3 and early.facts["total"] == 3


def test_revoking_a_card_raises_the_score_at_the_next_recomputation(scored_county, as_of):
    assert run(as_of)["DA"].total == 75
    Alert.objects.filter(pk=scored_county.alerts["yellow"].pk).update(status="revoked")
    again = run(as_of)["DA"]
    assert again.total == 80 and again.grade == "good"
    assert again.version == 1  # unpublished: replaced in place
    assert Score.objects.filter(department__code="DA").count() == 1


def test_recomputation_is_deterministic(scored_county, as_of):
    first = run(as_of)["DA"]
    lines1 = [(ln.category, ln.rule_code, ln.points, ln.facts) for ln in first.lines.order_by("order")]
    second = run(as_of)["DA"]
    lines2 = [(ln.category, ln.rule_code, ln.points, ln.facts) for ln in second.lines.order_by("order")]
    assert lines1 == lines2 and first.total == second.total


def test_publishing_keeps_history(scored_county, as_of):
    run(as_of)
    period = services.get_period("2026-10")
    assert services.publish_period(period) == 2
    # identical recomputation writes nothing new
    assert run(as_of)["DA"].version == 1
    # a late correction: the pending yellow card is issued after publication
    Alert.objects.filter(pk=scored_county.alerts["pending"].pk).update(status="issued")
    v2 = run(as_of)["DA"]
    # time limits: 14 − 3 − 5 − 5 = 1, plus the 8 bonus points = 9 → total 75 − 5 = 70
    assert v2.version == 2 and not v2.published
    assert cats(v2)["time_limits"] == 9 and v2.total == 70
    v1 = Score.objects.get(department__code="DA", period=period, version=1)
    assert v1.published and v1.total == 75
    published = {s.department.code: s for s in services.latest_scores(period, published_only=True)}
    assert published["DA"].version == 1


def test_manual_adjustment(scored_county, as_of):
    period = services.get_period("2026-10")
    liability = Category.objects.get(standard=period.standard, code="liability")
    ManualAdjustment.objects.create(department=scored_county.county.a.department, period=period,
                                    category=liability, points=Decimal("-4"), reason="群众投诉造成不良影响",
                                    by=scored_county.county.supervisor)
    a = run(as_of)["DA"]
    assert cats(a)["liability"] == 6 and a.total == 71
    line = a.lines.get(kind="manual")
    assert line.label == "群众投诉造成不良影响" and line.points == -4


def test_quarter_is_mean_of_the_months_with_cases(scored_county):
    # November: one completion, 2 of 10 promised days → 提前办结率 100 % → +1 +9 = +10; 承诺提速 +5 → 115.
    make_case(scored_county.county.a, decided=at(16, month=11), elapsed_days=2)
    december = datetime(2026, 12, 15, 12, tzinfo=TZ)
    scores = run(december, key="2026-Q4")
    # December (no case) is not a month of A's: (75 + 115) / 2
    assert scores["DA"].total == Decimal("95.00") and scores["DA"].rank == 1
    assert scores["DA"].indicators["months"] == {"2026-10": "75.00", "2026-11": "115.00"}
    # B had no case in any month: the mean of its months, not ranked
    assert scores["DB"].total == Decimal("105.00") and not scores["DB"].has_cases and scores["DB"].rank is None


def test_department_without_cases_is_counted_apart(scored_county, as_of):
    scores = list(run(as_of).values())
    assert services.grade_counts(scores) == {"excellent": 0, "good": 0, "pass": 1, "fail": 0, "no_cases": 1}
    # publishing re-ranks: still unranked
    period = services.get_period("2026-10")
    services.publish_period(period)
    assert {s.department.code: s.rank for s in services.latest_scores(period)} == {"DA": 1, "DB": None}


@pytest.mark.parametrize(("row", "cards", "expected"), [
    ({"submitted": 0, "decided": 0, "events": 0}, [], False),
    ({"submitted": 1, "decided": 0, "events": 0}, [], True),
    ({"submitted": 0, "decided": 1, "events": 0}, [], True),
    ({"submitted": 0, "decided": 0, "events": 3}, [], True),  # an open case whose data came in
    ({"submitted": 0, "decided": 0, "events": 0}, [{"id": 1}], True),  # a case clock ran into a card
])
def test_had_cases(row, cards, expected):
    assert services.had_cases(row, cards) is expected


def test_total_scale_of_the_default_standard(scored_county):
    scale = services.total_scale(services.get_period("2026-10").standard)
    assert scale == {"base": Decimal("100"), "max": Decimal("120")}  # 提前办结 +1…+10, 承诺提速 +3…+10


def test_single_department(scored_county, as_of):
    scores = run(as_of, department_codes=["DA"])
    assert list(scores) == ["DA"]


def test_command_json(scored_county, capsys):
    call_command("evaluate", "--period", "2026-10", "--json")
    import json

    data = json.loads(capsys.readouterr().out)
    assert {s["department"] for s in data["scores"]} == {"DA", "DB"}


def test_command_publish(scored_county, capsys):
    call_command("evaluate", "--period", "2026-10", "--department", "DB", "--publish")
    out = capsys.readouterr().out
    assert "已发布" in out
    assert Score.objects.get(department__code="DB").published


@pytest.mark.parametrize("key,ok", [("2026-10", True), ("2026-Q4", True), ("2026", True), ("2026-13", False),
                                    ("2026-Q5", False), ("26-1", False)])
def test_period_keys(key, ok):
    if ok:
        services.parse_period(key)
    else:
        with pytest.raises(services.PeriodError):
            services.parse_period(key)


def test_published_standard_is_immutable():
    std = Standard.objects.get(number=1)
    cat = std.categories.first()
    cat.weight = 99
    with pytest.raises(ImmutableError):
        cat.save()
    new = Standard.new_version_from(std)
    assert new.number == 2 and new.status == "draft"
    assert new.categories.count() == 9
    assert sum(c.rules.count() for c in new.categories.all()) == sum(c.rules.count() for c in std.categories.all())
    c2 = new.categories.get(code=cat.code)
    c2.weight = 12
    c2.save()  # drafts may change


def test_query_count_does_not_grow_with_departments_or_cases(scored_county, as_of, django_assert_max_num_queries):
    from xiaoneng.org.models import Department

    from .conftest import make_case

    services.evaluate_period("2026-10", as_of=as_of)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        services.evaluate_period("2026-10", as_of=as_of)
    for i in range(5):
        Department.objects.create(code=f"DX{i}", name=f"新增部门{i}", region=scored_county.county.county)
    for _ in range(20):
        make_case(scored_county.county.a, decided=datetime(2026, 10, 20, 10, tzinfo=TZ))
    with django_assert_max_num_queries(len(few)):
        scores = services.evaluate_period("2026-10", as_of=as_of)
    assert len(scores) == 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent gathering runs on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_concurrent_gathering_gives_the_same_scores(scored_county, as_of):
    """Outside a transaction (command, job, views) PostgreSQL runs the aggregate queries on parallel connections."""
    assert not connection.in_atomic_block
    assert services._may_run_concurrently()
    scores = run(as_of)
    assert scores["DA"].total == 75 and scores["DB"].total == 105
    assert cats(scores["DA"]) == EXPECTED_A


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner settings exist on PostgreSQL only")
def test_events_pass_puts_the_planner_settings_back(scored_county):
    from datetime import date

    from xiaoneng.evaluation import indicators

    def current():
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('enable_indexscan'), current_setting('work_mem')")
            return cur.fetchone()

    before = current()
    window = indicators.Window.for_dates(date(2026, 10, 1), date(2026, 10, 31))
    rows = indicators.events_part(window, [scored_county.county.a.department.id])
    assert rows[scored_county.county.a.department.id]["events"] == 40
    assert current() == before == ("on", before[1])  # the early-completion sample still walks its index
