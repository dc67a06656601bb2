"""Who sees what in supervision (built on ``xiaoneng.org.scoping``).

* supervisors (监察员): every department of their region subtree — the wall, the queue, all actions on cards
  and orders of those departments; read-only on case data;
* department staff: their own department's cards and orders (appeal, reply); a department wall view;
* superusers: everything.

Answers are memoised on the user object (one request), so a page asks the database once per question.
"""

from xiaoneng.org.scoping import acting_posts, is_supervisor, visible_department_ids


def _memo(user, key, compute):
    cache = user.__dict__.setdefault("_xn_supervision_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _posts(user):
    return _memo(user, "posts", lambda: acting_posts(user))


def supervisor(user) -> bool:
    return user.is_authenticated and _memo(user, "supervisor", lambda: is_supervisor(user))


def is_staff_member(user) -> bool:
    if not user.is_authenticated or getattr(user, "kind", "staff") != "staff":
        return False
    return user.is_superuser or bool(user.department_id) or bool(_posts(user)) or supervisor(user)


def sees_wall(user) -> bool:
    return is_staff_member(user)


def department_ids(user) -> set[int] | None:
    """Departments whose cards the user sees (None = all). Supervisors: their region subtree; others: the
    departments they belong to or act in."""

    def compute():
        if supervisor(user):
            return visible_department_ids(user)
        ids = {d for d, _ in _posts(user)}
        if user.department_id:
            ids.add(user.department_id)
        return ids

    return _memo(user, "departments", compute)


def scope(qs, user, field: str = "department"):
    ids = department_ids(user)
    if ids is None:
        return qs
    return qs.filter(**{f"{field}__in": list(ids)})
