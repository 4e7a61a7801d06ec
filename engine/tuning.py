"""Process-wide settings of the Python runtime, applied by Flowdesk's own processes.

CPython collects its youngest generation of container objects every 700 allocations
net of frees. One engine step allocates tens of thousands (a multi-instance's state is a
dict per task, instance data a dict per entry), so the collector ran dozens of times per
step and, every hundred young collections, walked every object the process holds: a
tenth to a sixth of a 1000-item multi-instance's time (bench/README.md). Servers tune
this; Flowdesk does it for the processes it starts (``flowdesk serve`` and its web
workers, ``flowdesk worker``), never on import, so an application embedding the engine
keeps its own setting.
"""

from __future__ import annotations

import gc

from .config import Settings


def tune_process(settings: Settings) -> None:
    """Apply ``settings.gc_thresholds`` (None leaves CPython's) to this process."""
    if settings.gc_thresholds is not None:
        gc.set_threshold(*settings.gc_thresholds)
