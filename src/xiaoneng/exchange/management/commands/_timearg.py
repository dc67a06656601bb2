"""Parsing of time arguments of the exchange commands."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from xiaoneng.exchange.parsing import RFC3339, parse_timestamp


def parse_time(value: str, *, end_of_day: bool = False) -> datetime | None:
    """RFC 3339, or a local ``YYYY-MM-DD[ HH:MM[:SS]]``; a bare date means its end (cut-off) or start."""
    value = value.strip()
    if RFC3339.match(value):
        try:
            return parse_timestamp(value)
        except ValueError:
            return None
    tz = timezone.get_current_timezone()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(value, fmt), tz)
        except ValueError:
            continue
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    start = timezone.make_aware(datetime.combine(day, time()), tz)
    return start + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else start
