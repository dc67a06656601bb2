"""Who sees what in supervision (built on ``xiaoneng.org.scoping``).

* supervisors (监察员): every department of their region subtree — the wall, the queue, all actions on cards
  and orders of those departments; read-only on case data;
* department staff: their own department's cards and orders (appeal, reply); a department wall view;
* superusers: everything.
"""

from xiaoneng.org.scoping import acting_posts, is_supervisor, scope_by_department, visible_department_ids


def is_staff_member(user) -> bool:
    if not user.is_authenticated or getattr(user, "kind", "staff") != "staff":
        return False
    return user.is_superuser or bool(user.department_id) or bool(acting_posts(user)) or is_supervisor(user)


def sees_wall(user) -> bool:
    return is_staff_member(user)


def supervisor(user) -> bool:
    return user.is_authenticated and is_supervisor(user)


def department_ids(user) -> set[int] | None:
    """Departments whose cards the user sees (None = all). Supervisors: their region subtree; others: the
    departments they belong to or act in."""
    if supervisor(user):
        return visible_department_ids(user)
    ids = {d for d, _ in acting_posts(user)}
    if user.department_id:
        ids.add(user.department_id)
    return ids


def scope(qs, user, field: str = "department"):
    if supervisor(user):
        return scope_by_department(qs, user, field)
    ids = department_ids(user)
    return qs.filter(**{f"{field}__in": ids or []})
