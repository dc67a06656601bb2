"""Signals of the working calendar.

``calendar_changed`` is sent (synchronously, inside the transaction that changed the calendar) after an
override is set or cleared and after ``sync_official`` changed official days. Arguments:

* ``dates``: sorted list of ``datetime.date`` whose status may have changed;
* ``region_code``: the 12-digit code of the region whose calendar changed, or ``None`` for the national
  calendar (which affects every region).

Receivers re-project their own deadlines (``get_calendar(region_code)`` already returns the new calendar when
they run); a receiver that wants to run after commit can use ``transaction.on_commit``. Open *cases* need no
receiver: the same transaction queues a background re-projection (``services.schedule_reprojection``, a
``Reprojection`` row shown in the admin, run by ``tasks.reproject_cases``), so the request that changed the
calendar does not re-derive thousands of cases.
"""

from django.dispatch import Signal

calendar_changed = Signal()
