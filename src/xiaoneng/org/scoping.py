"""Who may see and act on what (数据权限). Every later query is limited through these helpers.

- staff act for their own department through their posts (and the posts of away holders they substitute);
- leaders and department administrators see their whole department;
- supervisors (监察员) see every department in their region's subtree, read-only;
- superusers see everything.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import DELEGATED_POSTS, Department, Post, PostAssignment, Region, User


def active_assignments(user: User) -> QuerySet[PostAssignment]:
    return PostAssignment.objects.filter(user=user, is_active=True).select_related("department__region")


@contextmanager
def memoised(user: User):
    """Within the block, repeated ``acting_posts``/``is_supervisor``/``visible_department_ids`` calls for the
    same user hit the database once (e.g. the navigation's many ``visible`` checks on one page). Re-entrant:
    an inner block shares the outer one's memo."""
    if hasattr(user, "_xn_scoping_memo"):
        yield user
        return
    user._xn_scoping_memo = {}
    try:
        yield user
    finally:
        del user._xn_scoping_memo


def _memo(user, key, compute):
    memo = getattr(user, "_xn_scoping_memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _assignments(user: User) -> list[PostAssignment]:
    """The user's active assignments (with department and region), read once per memoised block."""
    return _memo(user, "assignments", lambda: list(active_assignments(user)))


def acting_posts(user: User, department_id: int | None = None, at=None) -> set[tuple[int, str]]:
    """(department_id, post) pairs the user may act in now: own posts, delegated posts, and A/B substitution.

    A holder who is marked away does not act; their substitute does, recorded as acting for them.
    """
    if not user.is_authenticated:
        return set()
    if at is None:
        return set(_memo(user, ("acting_posts", department_id), lambda: _acting_posts(user, department_id, None)))
    return _acting_posts(user, department_id, at)


def _acting_posts(user: User, department_id: int | None, at) -> set[tuple[int, str]]:
    at = at or timezone.now()
    pairs: set[tuple[int, str]] = set()
    own = PostAssignment.objects.filter(user=user, is_active=True)
    substituted = PostAssignment.objects.filter(substitute=user, is_active=True)
    if department_id is not None:
        own = own.filter(department_id=department_id)
        substituted = substituted.filter(department_id=department_id)
    for assignment in own:
        if assignment.is_away(at):
            continue
        pairs.add((assignment.department_id, assignment.post))
        for delegated in DELEGATED_POSTS.get(assignment.post, ()):
            pairs.add((assignment.department_id, delegated))
    for assignment in substituted:
        if assignment.is_away(at):
            pairs.add((assignment.department_id, assignment.post))
    return pairs


def substituted_holder(user: User, department_id: int, post: str, at=None) -> User | None:
    """The away holder the user is acting for in this post, if the user acts as B岗 (None when acting as self)."""
    at = at or timezone.now()
    if PostAssignment.objects.filter(user=user, department_id=department_id, post=post, is_active=True).exists():
        return None
    for assignment in PostAssignment.objects.filter(
        substitute=user, department_id=department_id, post=post, is_active=True
    ).select_related("user"):
        if assignment.is_away(at):
            return assignment.user
    return None


def has_post(user: User, post: str, department_id: int | None = None) -> bool:
    return any(p == post for _, p in acting_posts(user, department_id))


def supervised_region_codes(user: User) -> list[str]:
    """Region codes a supervisor watches: the subtree of each supervising assignment's department region."""
    paths = [a.department.region.path for a in _assignments(user) if a.post == Post.SUPERVISOR]
    if not paths:
        return []
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return list(Region.objects.filter(query).values_list("code", flat=True))


def is_supervisor(user: User) -> bool:
    return user.is_superuser or any(a.post == Post.SUPERVISOR for a in _assignments(user))


def visible_department_ids(user: User) -> set[int] | None:
    """Departments whose data the user may read; None means every department (superuser)."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    return set(_memo(user, "visible_department_ids", lambda: _visible_department_ids(user)))


def _visible_department_ids(user: User) -> set[int]:
    ids = {user.department_id} if user.department_id else set()
    ids |= {a.department_id for a in _assignments(user)}
    ids |= {a.department_id for a in PostAssignment.objects.filter(substitute=user, is_active=True)}
    regions = supervised_region_codes(user)
    if regions:
        ids |= set(Department.objects.filter(region__code__in=regions).values_list("id", flat=True))
    return ids


def managed_department_ids(user: User) -> set[int] | None:
    """Departments whose staff, accounts and posts the user administers (部门管理员); None means all."""
    if user.is_superuser:
        return None
    return {a.department_id for a in _assignments(user) if a.post == Post.DEPT_ADMIN}


def scope_by_department(qs: QuerySet, user: User, field: str = "department") -> QuerySet:
    """Limit ``qs`` to rows whose ``field`` is a department the user may read."""
    ids = visible_department_ids(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{field}__in": ids})


def can_read_department(user: User, department_id: int) -> bool:
    ids = visible_department_ids(user)
    return ids is None or department_id in ids


def departments_in(codes: Iterable[str]) -> QuerySet[Department]:
    return Department.objects.filter(code__in=list(codes))


def own_department_ids(user: User) -> set[int] | None:
    """The user's own departments: their department and those they hold an active post in (None = all, superuser).

    Used for configuration screens (the admin), where a supervisor's read-only regional view does not apply."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    ids = {user.department_id} if user.department_id else set()
    ids |= {a.department_id for a in PostAssignment.objects.filter(user=user, is_active=True)}
    return ids
