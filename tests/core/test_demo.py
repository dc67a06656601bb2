import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from xiaoneng.catalog import excel
from xiaoneng.catalog.models import HandlingType, Item, ItemVersion, Step, VersionStatus
from xiaoneng.core import demo
from xiaoneng.org.models import Department, DepartmentKind, Hall, Post, PostAssignment, Region, User, Window
from xiaoneng.org.scoping import acting_posts


def test_plan_is_deterministic_and_seeded():
    first, again, other = demo.plan(7), demo.plan(7), demo.plan(8)
    assert first == again
    assert [u.full_name for u in first.users] != [u.full_name for u in other.users]
    assert [i.code for i in first.items] == [i.code for i in other.items]  # the catalogue itself is fixed


def test_every_demo_item_passes_the_publishing_rules():
    assert demo.validate_plan(demo.plan()) == []


def _counts():
    return {model.__name__: model.objects.count()
            for model in (Region, Department, Hall, Window, User, PostAssignment, Item, ItemVersion, Step)}


@pytest.mark.django_db
def test_build_is_idempotent_and_fast():
    started = time.monotonic()
    logins = demo.build()
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"demo build took {elapsed:.1f}s"
    counts = _counts()
    assert demo.build() == logins
    assert _counts() == counts
    for username, password, _role in logins:
        assert User.objects.get(username=username).check_password(password), username


@pytest.mark.django_db
def test_demo_county_shape():
    demo.build()
    assert Region.objects.get(code=demo.COUNTY_CODE).name == "示范县"
    assert Region.objects.filter(level="township").count() == 3
    assert Region.objects.filter(level="village", code__regex=r"^\d{12}$").count() >= 6
    assert 28 <= Department.objects.count() <= 40
    assert Department.objects.filter(kind=DepartmentKind.SERVICE_CENTRE).exists()
    assert Department.objects.filter(kind=DepartmentKind.SUPERVISION).exists()
    assert Item.objects.count() >= 80
    versions = ItemVersion.objects.filter(status=VersionStatus.PUBLISHED)
    assert versions.count() == Item.objects.count() == Item.objects.filter(current_version__isnull=False).count()
    assert versions.filter(handling_type=HandlingType.INSTANT, promised_days=0).exists()
    assert versions.filter(handling_type=HandlingType.REPORT, report_to__isnull=False).exists()
    joint = versions.filter(handling_type=HandlingType.JOINT)
    assert joint.count() >= 2
    assert Step.objects.filter(version__in=joint, department__isnull=False).exclude(parallel_group="").exists()
    assert versions.filter(fees__isnull=False).exists() and versions.filter(materials__isnull=False).exists()
    assert sum(1 for v in versions if v.promised_days < v.statutory_days) > versions.count() // 2
    assert {h.level for h in Hall.objects.all()} == {"county", "township", "village"}
    assert Window.objects.filter(hall__name=demo.COUNTY_HALL).count() >= 25
    # every post in each main department, chief representatives at hall windows, a B岗 substitute
    scj = Department.objects.get(code="SCJ")
    posts = set(PostAssignment.objects.filter(department=scj).values_list("post", flat=True))
    assert {Post.ACCEPTOR, Post.REVIEWER1, Post.REVIEWER2, Post.DECIDER, Post.NOTIFIER, Post.LEADER,
            Post.DEPT_ADMIN, Post.CHIEF_REP} <= posts
    assert PostAssignment.objects.filter(post=Post.CHIEF_REP, window__isnull=False).count() >= 20
    assert PostAssignment.objects.filter(substitute__isnull=False).exists()
    deputy = User.objects.get(username="reviewer2_zjj")
    assert (Department.objects.get(code="ZJJ").id, Post.REVIEWER1) in acting_posts(deputy)  # holder is away
    assert PostAssignment.objects.filter(user__username="supervisor", post=Post.SUPERVISOR,
                                         department__kind=DepartmentKind.SUPERVISION).exists()
    assert PostAssignment.objects.filter(user__username="agent_dongcun", post=Post.AGENT).exists()
    assert User.objects.get(username="deptadmin_scj").groups.filter(name=demo.DEPT_ADMIN_GROUP).exists()


@pytest.mark.django_db
def test_demo_catalogue_round_trips_through_excel():
    demo.build()
    data = excel.export_items(excel.export_queryset())
    report = excel.import_items(data, publish=True)
    assert report.counts["rejected"] == 0
    assert report.counts["imported"] == 0
    assert ItemVersion.objects.count() == Item.objects.count()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="exercises the embedded SQLite default only")
def test_demo_command_twice_on_a_fresh_sqlite_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["XN_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "xiaoneng.cli", "demo", "--no-serve"]
    for _ in range(2):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "clerk_scj" in result.stdout and "Demo-2026!" in result.stdout
    assert (tmp_path / "xiaoneng.sqlite3").exists()
