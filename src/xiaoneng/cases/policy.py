"""The deadline policy in force (time-rule thresholds, domain-rules §3) for the case clock.

Default: ``DeadlinePolicy()`` (the table of domain-rules §3). The supervision app replaces it with its
editable rules by calling ``set_policy_provider(callable)`` in its ``AppConfig.ready`` (the callable takes no
arguments and returns a :class:`~xiaoneng.cases.clock.DeadlinePolicy`; it should cache, it is called once per
recorded batch). A dotted path in ``settings.XN_DEADLINE_POLICY_PROVIDER`` does the same without code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from .clock import DeadlinePolicy

__all__ = ["current_policy", "default_policy", "set_policy_provider"]


def default_policy() -> DeadlinePolicy:
    return DeadlinePolicy()


_provider: Callable[[], DeadlinePolicy] | None = None


def set_policy_provider(provider: Callable[[], DeadlinePolicy] | None) -> None:
    """Install ``provider`` (None restores the default)."""
    global _provider
    _provider = provider


def current_policy() -> DeadlinePolicy:
    provider = _provider
    if provider is None:
        path = getattr(settings, "XN_DEADLINE_POLICY_PROVIDER", "")
        provider = import_string(path) if path else default_policy
    policy = provider()
    return policy if policy is not None else DeadlinePolicy()
