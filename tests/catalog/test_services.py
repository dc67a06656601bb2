from decimal import Decimal

import pytest

from xiaoneng.catalog import services
from xiaoneng.catalog.models import Fee, ItemVersion, Material, PublishedVersionError, Step, VersionStatus
from xiaoneng.catalog.services import CatalogError, FeeSpec, StepSpec
from xiaoneng.org.models import Post

pytestmark = pytest.mark.django_db


def new_item(county, code="NEW-001", **kw):
    values = {"statutory_days": 20, "promised_days": 10, "legal_basis": "《中华人民共和国行政许可法》"}
    values.update(kw)
    return services.create_item(code=code, name="测试许可", item_type="01", department=county.a.department,
                                fees=[FeeSpec("F1", "工本费", Decimal("10"))], materials=["申请书"], **values)


def test_create_publish_sets_current_version(county):
    draft = new_item(county)
    assert draft.status == VersionStatus.DRAFT and draft.number == 1
    assert sum(s.days for s in draft.steps.all()) == 10
    published = services.publish(draft, county.a.staff[Post.DEPT_ADMIN])
    assert published.status == VersionStatus.PUBLISHED and published.published_at
    assert published.item.current_version_id == published.pk
    assert published.published_by == county.a.staff[Post.DEPT_ADMIN]


def test_publish_refuses_invalid_draft_with_reasons(county):
    draft = new_item(county, promised_days=25)
    with pytest.raises(CatalogError) as exc:
        services.publish(draft)
    assert exc.value.code == "validation_failed"
    assert {p.code for p in exc.value.problems} == {"promised_exceeds_statutory"}
    assert "承诺时限" in exc.value.message
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_published_version_is_immutable_in_the_model(county):
    version = county.a.version
    version.promised_days = 1
    with pytest.raises(PublishedVersionError):
        version.save()
    step = version.steps.first()
    step.days = 99
    with pytest.raises(PublishedVersionError):
        step.save()
    with pytest.raises(PublishedVersionError):
        version.fees.first().delete()
    with pytest.raises(PublishedVersionError):
        Material.objects.filter(version=version).first().delete()
    with pytest.raises(PublishedVersionError):
        ItemVersion.objects.get(pk=version.pk).delete()
    version.refresh_from_db()
    assert version.promised_days == 10


def test_services_refuse_to_edit_published(county):
    version = county.a.version
    with pytest.raises(CatalogError) as exc:
        services.update_draft(version, promised_days=5)
    assert exc.value.code == "version_immutable"
    with pytest.raises(CatalogError):
        services.set_fees(version, [])
    with pytest.raises(CatalogError):
        services.publish(version)


def test_new_draft_then_publish_retires_previous(county):
    v1 = county.a.version
    v2 = services.new_draft_from(v1)
    assert (v2.number, v2.status) == (2, VersionStatus.DRAFT)
    assert [s.code for s in v2.steps.all()] == [s.code for s in v1.steps.all()]
    assert v2.fees.count() == v1.fees.count() and v2.materials.count() == v1.materials.count()
    with pytest.raises(CatalogError) as exc:
        services.new_draft_from(v1)
    assert exc.value.code == "draft_exists"
    services.update_draft(v2, promised_days=9)
    services.set_fees(v2, [FeeSpec("F01", "证照工本费", "12.50")])
    services.publish(v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED and v2.status == VersionStatus.PUBLISHED
    assert v2.item.current_version_id == v2.pk
    # the old version kept its content (cases accepted under it keep their terms)
    assert v1.promised_days == 10 and v1.fees.get().amount == Decimal("10.00")
    assert Step.objects.filter(version=v1).count() == 5


def test_department_admin_cannot_publish_other_department(county):
    draft = services.new_draft_from(county.b.version)
    with pytest.raises(CatalogError) as exc:
        services.publish(draft, county.a.staff[Post.DEPT_ADMIN])
    assert exc.value.code == "department_not_allowed"
    with pytest.raises(CatalogError):
        services.create_item(code="X", name="x", item_type="01", department=county.b.department,
                             user=county.a.staff[Post.DEPT_ADMIN], statutory_days=1, promised_days=1)


def test_negative_fee_refused_by_service_and_database(county):
    draft = services.new_draft_from(county.a.version)
    with pytest.raises(CatalogError) as exc:
        services.set_fees(draft, [FeeSpec("F9", "x", "-1")])
    assert exc.value.code == "negative_fee"
    assert not Fee.objects.filter(code="F9").exists()


def test_parallel_steps_publish(county):
    draft = new_item(county, code="JOINT-1", handling_type="joint", promised_days=12, statutory_days=20,
                     steps=[StepSpec("accept", "受理", Post.ACCEPTOR, 1),
                            StepSpec("plan", "规划审查", Post.REVIEWER1, 6, "G1"),
                            StepSpec("co", "消防审查", Post.REVIEWER1, 8, "G1", county.b.department.code),
                            StepSpec("decide", "决定", Post.DECIDER, 3)])
    services.publish(draft)
    assert draft.steps.get(code="co").department == county.b.department


def test_instant_item_without_steps(county):
    draft = services.create_item(code="JB-1", name="即办", item_type="20", department=county.a.department,
                                 handling_type="instant", statutory_days=0, promised_days=0, steps=[])
    assert services.publish(draft).status == VersionStatus.PUBLISHED


@pytest.mark.parametrize("promised", range(0, 31))
def test_default_steps_fit_the_promised_limit_without_empty_reviews(promised):
    from xiaoneng.catalog.models import HandlingType
    from xiaoneng.catalog.services import default_steps

    steps = default_steps(promised, HandlingType.PROMISED)
    assert steps[0].code == "accept" and steps[-1].code in ("decide", "notify")
    assert sum(s.days for s in steps) <= max(promised, 0)
    # Only 受理 may be a same-day (0-day) step, and only for limits of up to 2 days.
    zero = [s.code for s in steps if s.days == 0]
    assert zero == ([] if promised > 2 else ["accept"] if promised >= 1 else ["accept", "decide"])
    assert len({s.code for s in steps}) == len(steps)
