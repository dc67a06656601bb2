import pytest
from django.urls import reverse

from tests.factories import UserFactory
from xiaoneng.org.models import Post, PostAssignment, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(county, client):
    user = county.a.staff[Post.DEPT_ADMIN]
    client.force_login(user)
    return user


def test_department_admin_lists_only_own_department(county, client, admin_a):
    response = client.get(reverse("org:staff_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert county.a.staff[Post.ACCEPTOR].username in body
    assert county.b.staff[Post.ACCEPTOR].username not in body
    assert county.supervisor.username not in body


@pytest.mark.parametrize("name", ["org:user_detail", "org:user_edit", "org:user_password", "org:post_create"])
def test_other_department_user_is_404(county, client, admin_a, name):
    other = county.b.staff[Post.ACCEPTOR]
    assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse(name, args=[other.pk]), {"full_name": "x", "department": county.a.department.pk,
                                                        "new_password1": "Zz-123456-x", "new_password2": "Zz-123456-x",
                                                        "post": Post.ACCEPTOR}).status_code == 404
    other.refresh_from_db()
    assert other.department == county.b.department and other.check_password("Test-pass-123")


def test_other_department_post_and_deactivation_are_404(county, client, admin_a):
    other = county.b.staff[Post.ACCEPTOR]
    assignment = PostAssignment.objects.get(user=other, post=Post.ACCEPTOR)
    assert client.get(reverse("org:post_edit", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("org:post_toggle_active", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("org:user_toggle_active", args=[other.pk])).status_code == 404
    assignment.refresh_from_db()
    other.refresh_from_db()
    assert assignment.is_active and other.is_active


def test_cannot_assign_post_in_another_department(county, client, admin_a):
    clerk = county.a.staff[Post.ACCEPTOR]
    response = client.post(reverse("org:post_create", args=[clerk.pk]),
                           {"department": county.b.department.pk, "post": Post.DECIDER})
    assert response.status_code == 200  # the form re-renders with an error
    assert "department" in response.context["form"].errors
    assert not PostAssignment.objects.filter(user=clerk, department=county.b.department).exists()


def test_cannot_grant_department_admin_or_pick_foreign_substitute(county, client, admin_a):
    clerk = county.a.staff[Post.ACCEPTOR]
    response = client.post(reverse("org:post_create", args=[clerk.pk]),
                           {"department": county.a.department.pk, "post": Post.DEPT_ADMIN})
    assert "post" in response.context["form"].errors
    response = client.post(reverse("org:post_create", args=[clerk.pk]),
                           {"department": county.a.department.pk, "post": Post.DECIDER,
                            "substitute": county.b.staff[Post.DECIDER].pk})
    assert "substitute" in response.context["form"].errors


def test_create_user_assign_post_with_substitute_and_away_period(county, client, admin_a):
    response = client.post(reverse("org:user_create"), {
        "username": "new_clerk", "full_name": "王新", "department": county.a.department.pk, "phone": "",
        "email": "", "password1": "Xn-strong-pass-1", "password2": "Xn-strong-pass-1",
    })
    assert response.status_code == 302
    user = User.objects.get(username="new_clerk")
    assert user.department == county.a.department and user.check_password("Xn-strong-pass-1")
    deputy = county.a.staff[Post.SECTION_CHIEF]
    response = client.post(reverse("org:post_create", args=[user.pk]), {
        "department": county.a.department.pk, "post": Post.ACCEPTOR, "substitute": deputy.pk,
        "away_from": "2026-03-02T08:30", "away_until": "2026-03-06T17:30",
    })
    assert response.status_code == 302, response.context["form"].errors
    assignment = PostAssignment.objects.get(user=user)
    assert assignment.substitute == deputy and assignment.granted_by == admin_a
    assert assignment.away_until > assignment.away_from
    # revoke, then the list shows it revoked
    client.post(reverse("org:post_toggle_active", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert not assignment.is_active


def test_edit_deactivate_reset_password(county, client, admin_a):
    clerk = county.a.staff[Post.ACCEPTOR]
    assert client.post(reverse("org:user_edit", args=[clerk.pk]), {
        "full_name": "李四", "department": county.a.department.pk, "phone": "13800000001", "email": "",
    }).status_code == 302
    clerk.refresh_from_db()
    assert clerk.full_name == "李四"
    # moving someone into another department is refused
    response = client.post(reverse("org:user_edit", args=[clerk.pk]), {
        "full_name": "李四", "department": county.b.department.pk, "phone": "", "email": ""})
    assert "department" in response.context["form"].errors
    client.post(reverse("org:user_password", args=[clerk.pk]),
                {"new_password1": "Xn-reset-pass-9", "new_password2": "Xn-reset-pass-9"})
    clerk.refresh_from_db()
    assert clerk.check_password("Xn-reset-pass-9")
    client.post(reverse("org:user_toggle_active", args=[clerk.pk]))
    clerk.refresh_from_db()
    assert not clerk.is_active
    # an administrator cannot deactivate themselves
    client.post(reverse("org:user_toggle_active", args=[admin_a.pk]))
    admin_a.refresh_from_db()
    assert admin_a.is_active


def test_plain_staff_and_anonymous_are_refused(county, client):
    assert client.get(reverse("org:staff_list")).status_code == 302  # to login
    client.force_login(county.a.staff[Post.ACCEPTOR])
    assert client.get(reverse("org:staff_list")).status_code == 403
    assert client.get(reverse("org:user_detail", args=[county.a.staff[Post.DECIDER].pk])).status_code == 403


def test_superuser_manages_every_department(county, client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    body = client.get(reverse("org:staff_list")).content.decode()
    assert county.a.staff[Post.ACCEPTOR].username in body and county.b.staff[Post.ACCEPTOR].username in body
    other = county.b.staff[Post.ACCEPTOR]
    assert client.get(reverse("org:user_detail", args=[other.pk])).status_code == 200
    response = client.post(reverse("org:post_create", args=[other.pk]),
                           {"department": county.b.department.pk, "post": Post.DEPT_ADMIN})
    assert response.status_code == 302


def test_navigation_shows_staff_management_to_admins_only(county, client):
    client.force_login(county.a.staff[Post.DEPT_ADMIN])
    assert reverse("org:staff_list") in client.get(reverse("core:home")).content.decode()
    client.force_login(county.a.staff[Post.ACCEPTOR])
    assert reverse("org:staff_list") not in client.get(reverse("core:home")).content.decode()
