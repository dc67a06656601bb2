"""The staff site's navigation: each app contributes entries shown to the roles that may use them."""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    order: int
    visible: Callable[[object], bool]


_entries: list[NavEntry] = []


def register(label, url_name: str, order: int, visible: Callable[[object], bool] = lambda user: True) -> None:
    _entries.append(NavEntry(label, url_name, order, visible))


def entries_for(user) -> list[dict]:
    from xiaoneng.org.scoping import memoised

    # A view that already memoises the user's scoping for the whole request (the inbox) shares its look-ups
    # with the navigation; ``memoised`` does not nest, so only open one when none is active.
    active = getattr(user, "_xn_scoping_memo", None) is not None
    with nullcontext() if active else memoised(user):
        visible = [entry for entry in sorted(_entries, key=lambda e: e.order) if entry.visible(user)]
    items = []
    for entry in visible:
        try:
            items.append({"label": entry.label, "url": reverse(entry.url_name), "name": entry.url_name})
        except NoReverseMatch:
            continue
    return items
