import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.org.scoping import acting_posts, can_read_department, substituted_holder, visible_department_ids


@pytest.mark.django_db
def test_staff_see_only_their_department(county):
    clerk = county.a.staff[Post.ACCEPTOR]
    assert can_read_department(clerk, county.a.department.id)
    assert not can_read_department(clerk, county.b.department.id)


@pytest.mark.django_db
def test_supervisor_sees_every_department_of_their_region(county):
    ids = visible_department_ids(county.supervisor)
    assert {county.a.department.id, county.b.department.id} <= ids


@pytest.mark.django_db
def test_substitute_acts_only_while_holder_is_away(county):
    holder = county.a.staff[Post.REVIEWER1]
    deputy = UserFactory(username="deputy", department=county.a.department)
    assignment = PostAssignment.objects.get(user=holder, post=Post.REVIEWER1)
    assignment.substitute = deputy
    assignment.save()
    dept = county.a.department.id
    assert (dept, Post.REVIEWER1) not in acting_posts(deputy)
    assignment.away_from = timezone.now() - timezone.timedelta(hours=1)
    assignment.save()
    assert (dept, Post.REVIEWER1) in acting_posts(deputy)
    assert (dept, Post.REVIEWER1) not in acting_posts(holder)
    assert substituted_holder(deputy, dept, Post.REVIEWER1) == holder


@pytest.mark.django_db
def test_chief_representative_holds_delegated_posts(county):
    rep = UserFactory(username="rep", department=county.b.department)
    PostAssignment.objects.create(user=rep, department=county.b.department, post=Post.CHIEF_REP)
    posts = {post for _, post in acting_posts(rep)}
    assert {Post.ACCEPTOR, Post.DECIDER} <= posts


@pytest.mark.django_db
def test_memoised_scoping_reads_once_and_never_outlives_its_block(county, django_assert_max_num_queries):
    from xiaoneng.org.scoping import memoised

    clerk = county.a.staff[Post.ACCEPTOR]
    with memoised(clerk):
        first = acting_posts(clerk)
        with django_assert_max_num_queries(0):
            assert acting_posts(clerk) == first
    PostAssignment.objects.filter(user=clerk).update(is_active=False)
    assert acting_posts(clerk) == set()


@pytest.mark.django_db
def test_navigation_checks_cost_a_bounded_number_of_queries(county, django_assert_max_num_queries):
    from xiaoneng.core.nav import entries_for

    leader = county.a.staff[Post.LEADER]
    with django_assert_max_num_queries(8):
        labels = [entry["label"] for entry in entries_for(leader)]
    assert labels  # a leader sees at least the workbench and evaluation entries
