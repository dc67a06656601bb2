"""Signals of the case engine.

``events_recorded`` is sent inside the recording transaction, once per batch, after the events are appended
and the cases re-derived: ``case_ids`` (list[int]), ``events`` (list[``services.RecordedEvent``], the newly
accepted ones, already stored) and ``histories`` (case id → every event of that case, ``services.EventView`` /
``RecordedEvent``, in no particular order — what the engine already read, so receivers need not read it again)
and ``cases`` (case id → the re-derived ``Case`` instance: number, region, department, item and version ids, the
new status and clock fields; ``item_version`` attached, ``item`` not loaded).
Per-event supervision rules (irregularities) subscribe to it and must work set-based.
"""

from django.dispatch import Signal

events_recorded = Signal()
