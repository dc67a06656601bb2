"""Staff pages: ranking, department score page with links to facts, scoping, exports, report, publishing."""

import io
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from xiaoneng.evaluation import selectors, services
from xiaoneng.evaluation.models import Score
from xiaoneng.org.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(scored_county, as_of):
    services.evaluate_period("2026-10", as_of=as_of)
    return scored_county


def dept_url(code="DA", **params):
    q = "&".join(f"{k}={v}" for k, v in {"period": "2026-10", **params}.items())
    return f"{reverse('evaluation:department', args=[code])}?{q}"


def test_ranking_for_supervisor_is_sortable(client, evaluated):
    client.force_login(evaluated.county.supervisor)
    r = client.get(reverse("evaluation:ranking") + "?period=2026-10")
    html = r.content.decode()
    assert r.status_code == 200
    # A (75, rank 1) before B (105 but no case: 无办件, unranked)
    assert html.index("测试县市场监督管理局") < html.index("测试县住房和城乡建设局")
    assert re.search(r'<td>—</td>\s*<td>[^<]*(<a[^>]*>)?测试县住房和城乡建设局', html)
    assert '<span class="badge ev-no-cases">无办件</span>' in html
    assert "无办件：1" in html
    assert "总分可以超过 100 分，最高 120 分" in html
    for sort in ("total", "-total"):  # unranked departments stay last whatever the order of the totals
        html = client.get(reverse("evaluation:ranking") + f"?period=2026-10&sort={sort}").content.decode()
        assert html.index("测试县市场监督管理局") < html.index("测试县住房和城乡建设局")
    r = client.get(reverse("evaluation:ranking") + "?period=2026-10&sort=cat:process")
    assert r.status_code == 200


def test_leader_sees_only_published_ranking(client, evaluated):
    leader = evaluated.county.a.staff[Post.LEADER]
    client.force_login(leader)
    r = client.get(reverse("evaluation:ranking") + "?period=2026-10")
    assert r.status_code == 200 and "75.00" not in r.content.decode()
    services.publish_period(services.get_period("2026-10"))
    r = client.get(reverse("evaluation:ranking") + "?period=2026-10")
    html = r.content.decode()
    assert "75.00" in html and "105.00" in html
    # the leader may open A's page from the ranking but not B's
    assert reverse("evaluation:department", args=["DA"]) in html
    assert reverse("evaluation:department", args=["DB"]) not in html


def test_plain_staff_cannot_see_ranking(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.ACCEPTOR])
    assert client.get(reverse("evaluation:ranking")).status_code == 403
    r = client.get(reverse("evaluation:home"))
    assert r.status_code == 302 and r.url.endswith(reverse("evaluation:department", args=["DA"]))


def test_department_sees_only_its_own_score(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.ACCEPTOR])
    assert client.get(dept_url("DA")).status_code == 200
    assert client.get(dept_url("DB")).status_code == 404
    assert client.get(reverse("evaluation:facts", args=["DB", "2026-10", "time_limits", "yellow"])).status_code == 404
    assert client.get(reverse("evaluation:export_department", args=["DB"]) + "?period=2026-10").status_code == 404
    assert client.get(reverse("evaluation:report") + "?period=2026-10&department=DB").status_code == 404
    # the supervisor reads both
    client.force_login(evaluated.county.supervisor)
    assert client.get(dept_url("DB")).status_code == 200


def test_department_page_explains_bonus_and_no_cases(client, evaluated):
    client.force_login(evaluated.county.supervisor)
    html = client.get(dept_url("DB")).content.decode()
    assert '<span class="badge ev-no-cases">无办件</span>' in html and "<span>不参加排名</span>" in html
    assert "其中基础分 100.00 分，加分 +5.00 分。" in html  # 105 = 100 + the 承诺提速 bonus
    assert "最高 120 分" in html
    html = client.get(dept_url("DA")).content.decode()
    assert "第 1 名" in html and "<span>不参加排名</span>" not in html


def test_every_number_links_to_its_facts(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.LEADER])
    html = client.get(dept_url("DA")).content.decode()
    score = Score.objects.get(department__code="DA")
    for ln in score.lines.all():
        if ln.kind == "category":
            url = reverse("evaluation:category_facts", args=["DA", "2026-10", ln.category])
        elif ln.points or ln.facts.get("total"):
            url = reverse("evaluation:facts", args=["DA", "2026-10", ln.category, ln.rule_code])
        else:
            continue
        assert re.search(re.escape(url) + r'[^"]*"[^>]*>' + re.escape(str(ln.points)) + "</a>", html), (ln.label, url)
    assert 'href="#breakdown"' in html  # the total leads to the breakdown


def test_following_a_deduction_to_its_cards_and_cases(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.LEADER])
    html = client.get(dept_url("DA")).content.decode()
    link = re.search(r'href="([^"]*/facts/time_limits/yellow/[^"]*)"', html).group(1).replace("&amp;", "&")
    r = client.get(link)
    assert r.status_code == 200
    page = r.content.decode()
    yellow = evaluated.alerts["yellow"]
    case = evaluated.cases["late"][0]
    assert "-5.00" in page
    assert reverse("supervision:alert", args=[yellow.pk]) in page
    assert reverse("supervision:case", args=[case.pk]) in page and case.case_no in page
    # the revoked red card is nowhere
    assert reverse("supervision:alert", args=[evaluated.alerts["revoked_red"].pk]) not in page
    # the case page itself opens for the department
    assert client.get(reverse("supervision:case", args=[case.pk])).status_code == 200


def test_category_facts_and_complaint_links(client, evaluated):
    client.force_login(evaluated.county.supervisor)
    r = client.get(reverse("evaluation:category_facts", args=["DA", "2026-10", "attitude"]))
    page = r.content.decode()
    c = evaluated.complaints["attitude"]
    assert c.receipt_no in page and reverse("feedback:complaint", args=[c.pk]) in page
    assert evaluated.complaints["unfounded"].receipt_no not in page


def test_department_page_charts_use_nonce_and_static_js(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.LEADER])
    html = client.get(dept_url("DA")).content.decode()
    assert 'id="ev-chart-data" type="application/json"' in html
    assert re.search(r'<script src="[^"]*echarts\.min\.js" nonce="[^"]+"', html)
    assert re.search(r'<script src="[^"]*evaluation/evaluation\.js" nonce="[^"]+"', html)
    assert "onclick" not in html


def test_excel_exports_with_facts_sheet(client, evaluated):
    client.force_login(evaluated.county.supervisor)
    r = client.get(reverse("evaluation:export_ranking") + "?period=2026-10")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["排名", "指标", "扣分加分", "事实"]
    facts = [row for row in wb["事实"].iter_rows(values_only=True)]
    ids = {row[5] for row in facts[1:]}
    assert evaluated.alerts["yellow"].pk in ids
    r = client.get(reverse("evaluation:export_department", args=["DA"]) + "?period=2026-10")
    wb = load_workbook(io.BytesIO(r.content))
    ranks = list(wb["排名"].iter_rows(values_only=True))
    assert ranks[2][1] == "DA" and ranks[2][3] == 75


def test_printable_report(client, evaluated):
    client.force_login(evaluated.county.supervisor)
    r = client.get(reverse("evaluation:report") + "?period=2026-10")
    page = r.content.decode()
    assert r.status_code == 200
    assert "2026年10月政务服务绩效评估通报" in page and "print.css" in page
    assert evaluated.cases["late"][0].case_no in page


def test_publish_and_recompute_are_for_supervisors(client, evaluated):
    client.force_login(evaluated.county.a.staff[Post.LEADER])
    assert client.post(reverse("evaluation:publish"), {"period": "2026-10"}).status_code == 403
    assert client.post(reverse("evaluation:recompute"), {"period": "2026-10"}).status_code == 403
    client.force_login(evaluated.county.supervisor)
    assert client.post(reverse("evaluation:recompute"), {"period": "2026-10"}).status_code == 302
    assert client.post(reverse("evaluation:publish"), {"period": "2026-10"}).status_code == 302
    assert Score.objects.filter(published=True).count() == 2


def test_published_ranking_selector_and_partial(evaluated):
    assert selectors.published_ranking() is None
    period = services.get_period("2026-10")
    services.publish_period(period)
    ranking = selectors.published_ranking()
    assert ranking["label"] == "2026年10月"
    assert [(r["rank"], str(r["total"]), r["grade_label"]) for r in ranking["rows"]] == [
        (1, "75.00", "合格"), (None, "105.00", "无办件")]
    html = render_to_string("evaluation/_public_ranking.html", {"ranking": ranking})
    assert "2026年10月 政务服务绩效评估排名" in html and "合格" in html and "无办件" in html


def test_supervisor_enters_a_manual_sanction(client, evaluated):
    from xiaoneng.evaluation.models import Category

    period = services.get_period("2026-10")
    liability = Category.objects.get(standard=period.standard, code="liability")
    client.force_login(evaluated.county.a.staff[Post.LEADER])
    url = reverse("evaluation:adjust", args=["DA"])
    data = {"period": "2026-10", "category": liability.pk, "points": "-3", "reason": "窗口人员违反工作纪律"}
    assert client.post(url, data).status_code == 403
    client.force_login(evaluated.county.supervisor)
    assert client.post(url, data).status_code == 302
    score = Score.objects.get(department__code="DA")
    assert score.total == 72  # 75 − 3
    page = client.get(reverse("evaluation:facts", args=["DA", "2026-10", "liability", "manual"])).content.decode()
    assert "窗口人员违反工作纪律" in page


def test_quarter_category_links_to_its_months(client, scored_county):
    from datetime import datetime

    from .conftest import TZ, at, make_case

    make_case(scored_county.county.a, decided=at(16, month=11), elapsed_days=2)  # A has a case in November too
    services.evaluate_period("2026-Q4", as_of=datetime(2026, 11, 20, tzinfo=TZ))
    client.force_login(scored_county.county.supervisor)
    r = client.get(reverse("evaluation:category_facts", args=["DA", "2026-Q4", "time_limits"]))
    page = r.content.decode()
    assert r.status_code == 200
    assert reverse("evaluation:category_facts", args=["DA", "2026-10", "time_limits"]) in page
    assert reverse("evaluation:category_facts", args=["DA", "2026-11", "time_limits"]) in page
