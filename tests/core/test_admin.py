"""Admin screens: Chinese, department-scoped for staff who are not superusers, published versions read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import UserFactory
from xiaoneng.catalog.models import VersionStatus
from xiaoneng.org.models import Post, PostAssignment

pytestmark = pytest.mark.django_db

PERMS = ["view_item", "change_item", "view_itemversion", "change_itemversion", "view_user", "change_user",
         "view_postassignment", "change_postassignment", "view_department"]


@pytest.fixture
def staff_admin(county, client):
    user = county.a.staff[Post.DEPT_ADMIN]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=PERMS))
    client.force_login(user)
    return user


@pytest.mark.parametrize("url", ["admin:catalog_item_changelist", "admin:catalog_itemversion_changelist",
                                 "admin:org_user_changelist", "admin:org_postassignment_changelist",
                                 "admin:org_department_changelist"])
def test_change_lists_show_only_own_department(county, client, staff_admin, url):
    response = client.get(reverse(url))
    assert response.status_code == 200
    body = response.content.decode()
    assert county.b.department.name not in body  # not even in the list filters
    assert county.b.version.item.name not in body and county.b.staff[Post.ACCEPTOR].username not in body
    a_marker = {"admin:org_user_changelist": county.a.staff[Post.ACCEPTOR].username,
                "admin:org_postassignment_changelist": county.a.department.name,
                "admin:org_department_changelist": county.a.department.name}.get(url, county.a.version.item.name)
    assert a_marker in body


@pytest.mark.parametrize(("url", "obj"), [
    ("admin:catalog_item_change", lambda c: c.b.version.item),
    ("admin:catalog_itemversion_change", lambda c: c.b.version),
    ("admin:org_user_change", lambda c: c.b.staff[Post.ACCEPTOR]),
    ("admin:org_postassignment_change", lambda c: PostAssignment.objects.filter(department=c.b.department).first()),
])
def test_other_department_objects_are_not_reachable(county, client, staff_admin, url, obj):
    target = obj(county)
    response = client.get(reverse(url, args=[target.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    response = client.post(reverse(url, args=[target.pk]), {})
    assert response.status_code == 302


def test_user_admin_hides_superusers_and_admin_rights(county, client, staff_admin):
    root = UserFactory(username="rootuser", is_superuser=True, is_staff=True, department=county.a.department)
    body = client.get(reverse("admin:org_user_changelist")).content.decode()
    assert root.username not in body
    form = client.get(reverse("admin:org_user_change", args=[county.a.staff[Post.ACCEPTOR].pk])).content.decode()
    assert 'name="is_superuser"' not in form and 'name="is_active"' in form


def test_published_version_is_read_only_in_admin(county, client, admin_user):
    client.force_login(admin_user)
    version = county.a.version
    page = client.get(reverse("admin:catalog_itemversion_change", args=[version.pk])).content.decode()
    assert 'name="promised_days"' not in page
    assert "办理环节" in page  # Chinese inline title
    # publish through the admin action: validation runs, and the new version replaces the old
    client.post(reverse("admin:catalog_itemversion_changelist"),
                {"action": "new_drafts", "_selected_action": [version.pk]})
    draft = version.item.versions.get(status=VersionStatus.DRAFT)
    client.post(reverse("admin:catalog_itemversion_changelist"),
                {"action": "publish_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    version.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and version.status == VersionStatus.RETIRED


def test_admin_index_in_chinese(client, admin_user):
    client.force_login(admin_user)
    body = client.get(reverse("admin:index")).content.decode()
    assert "事项目录" in body and "组织机构" in body
