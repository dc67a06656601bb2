"""Entry points for the worker's periodic jobs and the case engine's signal (thin wrappers)."""

import logging

logger = logging.getLogger("xiaoneng.supervision")


def on_events_recorded(sender=None, case_ids=None, events=None, **kwargs):
    from .services import on_events_recorded as handler

    handler(sender=sender, case_ids=case_ids, events=events, **kwargs)


def sweep_job():
    from .services import sweep

    result = sweep()
    if result.processed:
        logger.info("supervision sweep: %s", result.as_dict())
    return result


def escalate_job():
    from .notify import escalate

    return escalate()


def outbound_job():
    from .notify import deliver_outbound

    return deliver_outbound()


def snapshot_job():
    from .wall import refresh_snapshots

    return refresh_snapshots()


def on_calendar_changed(sender=None, region_code=None, dates=None, **kwargs):
    """A calendar change re-projects the reply deadlines of open supervision orders (after commit)."""
    from functools import partial

    from django.db import transaction

    transaction.on_commit(partial(reproject_orders, region_code))


def reproject_orders(region_code=None):
    from django.db import transaction

    from .models import OrderStatus, SupervisionOrder
    from .services import _calendar, order_deadlines

    qs = SupervisionOrder.objects.filter(status=OrderStatus.OPEN)
    if region_code:
        from xiaoneng.org.models import Region

        path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
        codes = Region.objects.filter(path__startswith=path).values("code") if path else [region_code]
        qs = qs.filter(region_code__in=codes)
    n = 0
    with transaction.atomic():
        for order in qs.select_for_update():
            order.reply_due = _calendar(order.region_code).due_after(order.issued_at, order.reply_days)
            order.deadlines, order.next_check_at = order_deadlines(order)
            order.save(update_fields=["reply_due", "deadlines", "next_check_at"])
            n += 1
    return n
