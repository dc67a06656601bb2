"""Tuning of the long-running processes: the web workers, the background worker and a bulk import.

Python's cyclic garbage collector examines the youngest objects every 2,000 net allocations of container objects
and, every hundred such passes, every object the process holds. A batch of the write path allocates hundreds of
thousands of objects that live for the whole request, so the collector kept walking them (and the hundred
thousand objects of Django and the loaded modules) without finding garbage: 0.85 s of a 10 s ingestion of 20,000
events in one process, 8 % of the write path's CPU (``bench/README.md``). :func:`tune_gc` takes what start-up allocated out of
the collector's sight (``gc.freeze``) and collects the youngest generation every ``XN_GC_GEN0_THRESHOLD`` net
allocations (default 50,000): cyclic garbage is still collected, a few megabytes later.
"""

from __future__ import annotations

import gc

from django.conf import settings


def tune_gc() -> None:
    """Apply the collector settings (``XN_GC_GEN0_THRESHOLD``; 0 leaves Python's own). Call once the process has
    loaded what it keeps for its lifetime (Django, the apps); in a forked child, again is harmless."""
    gen0 = settings.XN_GC_GEN0_THRESHOLD
    if gen0 <= 0:
        return
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, gen2)
