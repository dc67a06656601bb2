"""Who sees what in the evaluation (built on ``xiaoneng.org.scoping``).

* Supervisors (监察员) and superusers: the current ranking of every department they may read, every such
  department's score page, publishing, manual adjustments.
* Leaders (领导) and every other staff member: the *published* ranking (public information anyway) and the
  score pages of their own departments only — a department never reads another department's score page.
"""

from xiaoneng.org.models import Post
from xiaoneng.org.scoping import acting_posts, can_read_department, is_supervisor


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and getattr(user, "kind", "staff") == "staff")


def may_see_evaluation(user) -> bool:
    return is_staff_user(user) and (user.is_superuser or bool(user.department_id) or bool(acting_posts(user)))


def is_evaluator(user) -> bool:
    return is_staff_user(user) and is_supervisor(user)


def is_leader(user) -> bool:
    return is_staff_user(user) and any(post == Post.LEADER for _, post in acting_posts(user))


def may_see_ranking(user) -> bool:
    return is_evaluator(user) or is_leader(user)


def own_department_ids(user) -> set[int]:
    ids = {d for d, _ in acting_posts(user)}
    if user.department_id:
        ids.add(user.department_id)
    return ids


def can_view_department(user, department_id: int) -> bool:
    if not is_staff_user(user):
        return False
    if is_evaluator(user):
        return can_read_department(user, department_id)
    return department_id in own_department_ids(user)
