"""Who may see and handle feedback (built on ``xiaoneng.org.scoping``).

* Reading: a consultation, complaint or rating is visible to a user who may read its ``department`` (the
  department that must act: the consultation's department, the department a complaint is routed to, the rated
  case's department). Department staff see their department's items; supervisors (监察员) every department of
  their region; the service centre and the supervision office see the complaints routed to them. A department
  complained about does not see a complaint routed elsewhere (e.g. 吃拿卡要 handled by the supervision office).
* Replying to a consultation (答复岗): any post among ``REPLY_POSTS`` in the consultation's department
  (受理员 — also through a 首席代表's delegation or as B岗 — , 领导, 科室负责人, 部门管理员).
* Handling a complaint (accept / decline / assign / investigate / resolve): a post among ``HANDLER_POSTS`` in
  the handling department (the supervision office's own 监察员 included).
* 差评 handling (verify / rectify / call back) and filing an appeal: ``HANDLER_POSTS`` of the rated department.
* Deciding an appeal (removal of a rating): a supervisor who may read the department and does not belong to it.
* The rating device (评价器) of a window: staff holding a post at that window, or in a department stationed there.
"""

from xiaoneng.org.models import Post, PostAssignment
from xiaoneng.org.scoping import acting_posts, can_read_department, is_supervisor, scope_by_department

REPLY_POSTS = frozenset({Post.ACCEPTOR, Post.LEADER, Post.SECTION_CHIEF, Post.DEPT_ADMIN})
HANDLER_POSTS = frozenset({Post.ACCEPTOR, Post.LEADER, Post.SECTION_CHIEF, Post.DEPT_ADMIN, Post.SUPERVISOR})


def _acts_in(user, department_id: int, posts) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(post in posts for _, post in acting_posts(user, department_id))


def visible(qs, user):
    return scope_by_department(qs, user, "department")


def can_read(user, obj) -> bool:
    return user.is_authenticated and can_read_department(user, obj.department_id)


def can_reply(user, consultation) -> bool:
    return _acts_in(user, consultation.department_id, REPLY_POSTS)


def can_handle_complaint(user, complaint) -> bool:
    return _acts_in(user, complaint.department_id, HANDLER_POSTS)


def can_handle_rating(user, rating) -> bool:
    return _acts_in(user, rating.department_id, HANDLER_POSTS)


def can_decide_appeal(user, rating) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not is_supervisor(user) or not can_read_department(user, rating.department_id):
        return False
    return not acting_posts(user, rating.department_id) and user.department_id != rating.department_id


def can_use_device(user, window) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if PostAssignment.objects.filter(user=user, window=window, is_active=True).exists():
        return True
    dept_ids = {d for d, _ in acting_posts(user)}
    return window.departments.filter(id__in=dept_ids).exists()


def is_staff_user(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(acting_posts(user)) or is_supervisor(user))
