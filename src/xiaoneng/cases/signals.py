"""Signals of the case engine.

``events_recorded`` is sent inside the recording transaction, once per batch, after the events are appended
and the cases re-derived: ``case_ids`` (list[int]) and ``events`` (list[CaseEvent], the newly accepted ones).
Per-event supervision rules (irregularities) subscribe to it and must work set-based.
"""

from django.dispatch import Signal

events_recorded = Signal()
