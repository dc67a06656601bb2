"""The deadline policy in force (time-rule thresholds, domain-rules §3) for the case clock.

Default: ``DeadlinePolicy()`` (the table of domain-rules §3). The supervision app replaces it with its
editable rules and their per-department / per-item overrides by calling ``set_policy_provider(callable)`` in
its ``AppConfig.ready``: the callable takes the keywords ``department_id`` and ``item_id`` (None: the general
policy) and returns a :class:`~xiaoneng.cases.clock.DeadlinePolicy`; the case engine calls it once per
department × item of a recorded batch. A dotted path in ``settings.XN_DEADLINE_POLICY_PROVIDER`` does the same
without code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from .clock import DeadlinePolicy

__all__ = ["current_policy", "default_policy", "set_policy_provider"]


def default_policy() -> DeadlinePolicy:
    return DeadlinePolicy()


_provider: Callable[..., DeadlinePolicy] | None = None


def set_policy_provider(
    provider: Callable[..., DeadlinePolicy] | None,
) -> Callable[..., DeadlinePolicy] | None:
    """Install ``provider`` (None: the default table); returns the one it replaces, to put back later."""
    global _provider
    previous, _provider = _provider, provider
    return previous


def current_policy(department_id: int | None = None, item_id: int | None = None) -> DeadlinePolicy:
    """The thresholds in force for a case of ``department_id`` / ``item_id`` (None, None: the general ones)."""
    provider = _provider
    if provider is None:
        path = getattr(settings, "XN_DEADLINE_POLICY_PROVIDER", "")
        if not path:
            return default_policy()
        provider = import_string(path)
    policy = provider(department_id=department_id, item_id=item_id)
    return policy if policy is not None else DeadlinePolicy()
