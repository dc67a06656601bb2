"""Outbound notification channels (SMS / e-mail gateways are site-specific).

A channel turns an ``OutboundMessage`` into a delivery: ``address_for(user)`` picks the address (``""``: this
user cannot be reached on this channel, no message is queued) and ``send(message)`` delivers or raises.
Failures are retried by the ``supervision.outbound`` periodic job with back-off; nothing is dropped.

Configuration: ``settings.XN_NOTIFY_CHANNELS`` — a list of names or dotted paths (default ``["logging"]``).
Built in: ``logging`` (:class:`LoggingChannel`) and ``smtp`` (:class:`SmtpChannel`, ``django.core.mail``; uses
the user's e-mail and ``DEFAULT_FROM_EMAIL``). A site gateway subclasses :class:`Channel`.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("xiaoneng.notify")


class Channel:
    name = "base"

    def address_for(self, user) -> str:
        raise NotImplementedError

    def send(self, message) -> None:
        """Deliver ``message`` (an OutboundMessage); raise on failure."""
        raise NotImplementedError


class LoggingChannel(Channel):
    """Writes every message to the ``xiaoneng.notify`` log (the default; useful until a gateway is set up)."""

    name = "logging"

    def address_for(self, user) -> str:
        return getattr(user, "username", "") or str(getattr(user, "pk", ""))

    def send(self, message) -> None:
        logger.info("notify %s: %s — %s", message.address, message.subject, message.body)


class SmtpChannel(Channel):
    name = "smtp"

    def address_for(self, user) -> str:
        return (getattr(user, "email", "") or "").strip()

    def send(self, message) -> None:
        from django.core.mail import send_mail

        send_mail(message.subject, message.body, getattr(settings, "DEFAULT_FROM_EMAIL", None), [message.address],
                  fail_silently=False)


BUILTIN = {"logging": LoggingChannel, "smtp": SmtpChannel}
_extra: dict[str, type[Channel]] = {}


def register(name: str, cls: type[Channel]) -> None:
    _extra[name] = cls


def get(name: str) -> Channel:
    cls = _extra.get(name) or BUILTIN.get(name)
    if cls is None:
        cls = import_string(name)
    return cls()


def configured() -> list[Channel]:
    names = getattr(settings, "XN_NOTIFY_CHANNELS", None) or ["logging"]
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    return [get(n) for n in names]
