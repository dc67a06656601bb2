from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_item
from xiaoneng.catalog.models import Item, ItemVersion, Material, VersionStatus
from xiaoneng.portal import selectors


def _items(county):
    a, b = county.a.department, county.b.department
    v1 = make_item(a, "SC-001", name="食品经营许可证核发")
    v1.item.keywords, v1.item.life_event = "餐饮 开店", "开办企业"
    v1.item.save()
    v2 = make_item(a, "SC-002", name="个体工商户登记")
    v2.item.keywords, v2.item.life_event = "食品 摊位", "开办企业"
    v2.item.save()
    v3 = make_item(b, "JS-001", name="农村村民住宅建设审批")
    v3.item.life_event = "建房"
    v3.item.save()
    draft = Item.objects.create(code="SC-DRAFT", name="食品草稿事项", item_type="01", department=a)
    ItemVersion.objects.create(item=draft, number=1, status=VersionStatus.DRAFT, statutory_days=5, promised_days=2)
    return v1, v2, v3


def codes(qs):
    return [i.code for i in qs]


def test_search_ands_terms_ranks_name_hits_and_hides_unpublished(county):
    _items(county)
    found = codes(selectors.search_items("食品"))
    assert found[0] == "SC-001"  # name hit first, keyword hit after
    assert set(found) == {"SC-001", "SC-002"}  # the draft item is not published
    assert codes(selectors.search_items("食品 开店")) == ["SC-001"]  # terms are ANDed
    assert codes(selectors.search_items("住房 村民")) == ["JS-001"]  # department name counts
    assert codes(selectors.search_items("食品　个体")) == ["SC-002"]  # full-width space splits too
    assert codes(selectors.search_items("不存在的事项")) == []


def test_search_filters(county):
    _items(county)
    assert set(codes(selectors.search_items(department="DB"))) == {"JS-001", "ITEM-DB-001"}
    assert codes(selectors.search_items(life_event="建房")) == ["JS-001"]
    assert "SC-001" in codes(selectors.search_items(item_type="01"))
    assert codes(selectors.search_items(item_type="20")) == []


def test_guide_list_page(client, county):
    _items(county)
    r = client.get("/guide/", {"q": "食品", "dept": "DA"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "食品经营许可证核发" in body and "农村村民住宅建设审批" not in body
    assert body.index("食品经营许可证核发") < body.index("个体工商户登记")
    assert client.get("/").status_code == 200
    assert "食品经营许可证核发" in client.get("/apply/").content.decode()


def test_guide_shows_every_public_field_and_no_case_query(client, county):
    v = county.a.version
    item = v.item
    body_fields = dict(conditions="申请人具有相应场所", location="县行政服务中心二楼12号窗口",
                       office_hours="工作日 8:30-17:30", consult_phone="0571-1234567", complaint_phone="12345",
                       visits_required=0)
    ItemVersion.objects.filter(pk=v.pk).update(**body_fields)  # bypass the immutability guard for the fixture
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/guide/{item.code}/")
    assert r.status_code == 200
    assert not any("cases_case" in q["sql"] for q in ctx.captured_queries)
    assert len(ctx.captured_queries) <= 10
    body = r.content.decode()
    for text in ("《中华人民共和国行政许可法》", "申请人具有相应场所", "申请书", "身份证明", "复印件", "受理", "初审",
                 "复审", "决定", "办结告知", "证照工本费", "10.00", "县行政服务中心二楼12号窗口", "工作日 8:30-17:30",
                 "0571-1234567", "12345", "/feedback/complain/", "法定时限", "承诺时限", "50%", "js-print"):
        assert text in body, text
    assert 'class="limit-value">20<' in body and 'class="limit-value">10<' in body


def test_guide_of_unknown_or_unpublished_item_is_404(client, county):
    _items(county)
    assert client.get("/guide/SC-DRAFT/").status_code == 404
    assert client.get("/guide/NOPE/").status_code == 404


def test_blank_form_download(client, county, settings):
    from django.core.files.base import ContentFile

    v = county.a.version
    m = v.materials.first()
    m.blank_form.save("apply.docx", ContentFile(b"form"), save=False)
    Material.objects.filter(pk=m.pk).update(blank_form=m.blank_form.name)
    r = client.get(f"/guide/{v.item.code}/forms/{m.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"form"
    other = county.b.version.materials.first()
    assert client.get(f"/guide/{v.item.code}/forms/{other.pk}/").status_code == 404
    Material.objects.filter(pk=m.pk).update(blank_form="../../etc/passwd")
    assert client.get(f"/guide/{v.item.code}/forms/{m.pk}/").status_code == 404
