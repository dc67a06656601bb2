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
