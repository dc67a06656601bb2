"""Test data builders shared by every app's tests."""

from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.utils import timezone

from xiaoneng.catalog.models import Fee, HandlingType, Item, ItemVersion, Material, Step, VersionStatus
from xiaoneng.org.models import Department, Hall, HallLevel, Post, PostAssignment, Region, User

DEFAULT_STEPS = [  # (code, name, post, days)
    ("accept", "受理", Post.ACCEPTOR, 1),
    ("review1", "初审", Post.REVIEWER1, 3),
    ("review2", "复审", Post.REVIEWER2, 2),
    ("decide", "决定", Post.DECIDER, 2),
    ("notify", "办结告知", Post.NOTIFIER, 1),
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试员{n}")
    password = factory.django.Password("Test-pass-123")


def make_region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    region, _ = Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})
    return region


def make_item(department: Department, code: str, *, statutory=20, promised=10, handling=HandlingType.PROMISED,
              steps=DEFAULT_STEPS, fees=(("F01", "证照工本费", "10.00"),), limit_unit="workday",
              name: str | None = None) -> ItemVersion:
    item = Item.objects.create(code=code, name=name or f"测试事项{code}", item_type="01", department=department)
    version = ItemVersion.objects.create(
        item=item, number=1, status=VersionStatus.PUBLISHED, handling_type=handling, limit_unit=limit_unit,
        statutory_days=statutory, promised_days=promised, legal_basis="《中华人民共和国行政许可法》",
        published_at=timezone.now(),
    )
    for order, (step_code, step_name, post, days) in enumerate(steps, start=1):
        Step.objects.create(version=version, order=order, code=step_code, name=step_name, post=post, days=days)
    for fee_code, fee_name, amount in fees:
        Fee.objects.create(version=version, code=fee_code, name=fee_name, amount=Decimal(amount))
    Material.objects.create(version=version, order=1, name="申请书")
    Material.objects.create(version=version, order=2, name="身份证明", form="复印件")
    item.current_version = version
    item.save(update_fields=["current_version"])
    return version


@dataclass
class DepartmentFixture:
    department: Department
    staff: dict[str, User] = field(default_factory=dict)  # post -> user
    version: ItemVersion | None = None


@dataclass
class County:
    county: Region
    township: Region
    village: Region
    a: DepartmentFixture
    b: DepartmentFixture
    supervisor: User
    hall: Hall


class CountyFactory:
    @staticmethod
    def build() -> County:
        city = make_region("330100000000", "测试市", "city")
        county = make_region("330122000000", "测试县", "county", city)
        township = make_region("330122100000", "城关镇", "township", county)
        village = make_region("330122100201", "东村", "village", township)
        hall = Hall.objects.create(name="测试县行政服务中心", level=HallLevel.COUNTY, region=county)
        fixtures = []
        for letter, code, name in (("a", "DA", "测试县市场监督管理局"), ("b", "DB", "测试县住房和城乡建设局")):
            department = Department.objects.create(code=code, name=name, region=county)
            fx = DepartmentFixture(department)
            for post in (Post.ACCEPTOR, Post.REVIEWER1, Post.REVIEWER2, Post.DECIDER, Post.NOTIFIER,
                         Post.LEADER, Post.DEPT_ADMIN, Post.SECTION_CHIEF):
                user = UserFactory(username=f"{letter}_{post}", department=department)
                PostAssignment.objects.create(user=user, department=department, post=post)
                fx.staff[post] = user
            fx.version = make_item(department, f"ITEM-{code}-001")
            fixtures.append(fx)
        supervision = Department.objects.create(code="JC", name="测试县监察局", region=county, kind="supervision")
        supervisor = UserFactory(username="supervisor", department=supervision)
        PostAssignment.objects.create(user=supervisor, department=supervision, post=Post.SUPERVISOR)
        return County(county, township, village, fixtures[0], fixtures[1], supervisor, hall)
