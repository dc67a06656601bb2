"""Who may see and act on which case in the workbench (数据权限). Every denial is a 404: no data leaks.

- Handling staff (受理员, 初审, 复审, 决定, 办结告知, 首席代表, 科室负责人, 部门管理员, 领导) see the cases of the
  departments they act in (own posts, delegated posts, A/B substitution), the cases where one of those
  departments has a co-department step (并联审批), and the cases forwarded to one of them (上报件).
  They act only through the posts they hold in the department concerned.
- Leaders (领导) see their department and approve extensions.
- Supervisors (监察员) see every case of the departments in their region's subtree, read-only.
- Agents (代办员) see only the cases they submitted, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from xiaoneng.cases.models import Case, CaseStep
from xiaoneng.org.models import Post
from xiaoneng.org.scoping import acting_posts, substituted_holder, supervised_region_codes

from .models import Forwarding

NON_HANDLING_POSTS = {Post.SUPERVISOR, Post.AGENT}


@dataclass
class Actor:
    """What one user may do now, computed once per request."""

    user: object
    pairs: set[tuple[int, str]] = field(default_factory=set)
    region_codes: list[str] = field(default_factory=list)
    is_agent: bool = False

    @property
    def superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    @property
    def handling_department_ids(self) -> set[int]:
        return {d for d, p in self.pairs if p not in NON_HANDLING_POSTS}

    def posts_in(self, department_id: int) -> set[str]:
        return {p for d, p in self.pairs if d == department_id}

    def has(self, department_id: int, *posts: str) -> bool:
        return any((department_id, p) in self.pairs for p in posts)

    def departments_with(self, *posts: str) -> set[int]:
        return {d for d, p in self.pairs if p in posts}

    def acting_for(self, department_id: int, post: str) -> str:
        """Username of the away A岗 holder this user substitutes in the post, or ""."""
        if not getattr(self.user, "pk", None):
            return ""
        holder = substituted_holder(self.user, department_id, post)
        return holder.username if holder else ""

    # --- visibility ---------------------------------------------------------------------------------------

    def case_q(self) -> Q | None:
        """Filter on Case for the cases this user may see (None: every case)."""
        if self.superuser:
            return None
        ids = self.handling_department_ids
        q = Q(pk__in=[])
        if ids:
            q |= Q(department_id__in=ids)
            q |= Q(pk__in=CaseStep.objects.filter(department_id__in=ids).values("case_id"))
            q |= Q(pk__in=Forwarding.objects.filter(to_department_id__in=ids).values("case_id"))
        if self.region_codes:
            q |= Q(department__region__code__in=self.region_codes)
        if self.is_agent:
            q |= Q(agent=self.user)
        return q

    def visible_cases(self):
        q = self.case_q()
        qs = Case.objects.all()
        return qs if q is None else qs.filter(q)

    def can_handle(self, case: Case) -> bool:
        """May act on the case at all (some post in its department, a co-department step, or 上报 recipient)."""
        if self.superuser:
            return True
        ids = self.handling_department_ids
        if case.department_id in ids:
            return True
        if not ids:
            return False
        if CaseStep.objects.filter(case=case, department_id__in=ids).exists():
            return True
        return Forwarding.objects.filter(case=case, to_department_id__in=ids).exists()

    def is_handling_department(self, case: Case) -> bool:
        """The user acts in the case's own department (sees unmasked personal data on notices)."""
        return self.superuser or case.department_id in self.handling_department_ids


def _pairs(user) -> set[tuple[int, str]]:
    """acting_posts(user), memoised on the user object (request.user lives for one request) so the navigation
    predicates and the views share one lookup."""
    cached = getattr(user, "_xn_workbench_pairs", None)
    if cached is None:
        cached = acting_posts(user)
        try:
            user._xn_workbench_pairs = cached
        except AttributeError:  # pragma: no cover - exotic user objects
            pass
    return cached


def _is_agent(user) -> bool:
    cached = getattr(user, "_xn_workbench_agent", None)
    if cached is None:
        cached = any(p == Post.AGENT for _, p in _pairs(user))
        user._xn_workbench_agent = cached
    return cached


def actor_for(user) -> Actor:
    if not getattr(user, "is_authenticated", False):
        return Actor(user)
    pairs = _pairs(user)
    region_codes = supervised_region_codes(user) if any(p == Post.SUPERVISOR for _, p in pairs) else []
    return Actor(user, pairs, region_codes, _is_agent(user))


def request_actor(request) -> Actor:
    actor = getattr(request, "_workbench_actor", None)
    if actor is None:
        actor = actor_for(request.user)
        request._workbench_actor = actor
    return actor


def forget(user) -> None:
    """Drop the memoised posts (after time travel in tests, or a change of assignments in the same request)."""
    for name in ("_xn_workbench_pairs", "_xn_workbench_agent"):
        if hasattr(user, name):
            delattr(user, name)


def get_case_or_404(request, case_no: str, *, handle: bool = False) -> Case:
    """The case if the user may see it (and, with ``handle``, act on it); else 404 — the same answer as for a
    case that does not exist, so nothing leaks."""
    actor = request_actor(request)
    case = (
        actor.visible_cases()
        .select_related("department__region", "item", "item_version", "hall", "agent")
        .filter(case_no=case_no)
        .first()
    )
    if case is None or (handle and not actor.can_handle(case)):
        raise Http404
    return case


def is_staff_with(user, *posts: str) -> bool:
    """Nav predicate: the user acts in one of these posts somewhere."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(p in posts for _, p in _pairs(user))


def is_agent(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return _is_agent(user)
