from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, href: str, label: str):
    """A header link marked aria-current="page" when the request path is inside it."""
    request = context.get("request")
    current = request is not None and (request.path == href or (href != "/" and request.path.startswith(href)))
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', href, label)
    return format_html('<a href="{}">{}</a>', href, label)


@register.filter
def filesize(value) -> str:
    value = int(value or 0)
    if value >= 1024 * 1024:
        return f"{value / 1024 / 1024:.1f} MB"
    if value >= 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value} B"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
