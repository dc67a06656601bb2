"""``core.runtime.tune_gc``: the collector settings of the long-running processes."""

import gc

import pytest

from xiaoneng.core.runtime import tune_gc


@pytest.fixture
def gc_state():
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_gc_freezes_start_up_objects_and_raises_the_youngest_threshold(settings, gc_state):
    settings.XN_GC_GEN0_THRESHOLD = 50_000
    _, gen1, gen2 = gc.get_threshold()
    tune_gc()
    assert gc.get_threshold() == (50_000, gen1, gen2)
    assert gc.get_freeze_count() > 0


def test_zero_leaves_the_collector_as_python_sets_it(settings, gc_state):
    settings.XN_GC_GEN0_THRESHOLD = 0
    before = gc.get_threshold()
    tune_gc()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
