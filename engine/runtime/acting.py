"""The one rule about a workflow's cached scan: whatever acts on the workflow drops it."""

from __future__ import annotations

import functools


def acts(method):
    """Marks a method that changes the workflow: the cached scan of its tasks is dropped
    before and after it."""

    @functools.wraps(method)
    def acting(self, *args, **kwargs):
        self._scanned = None
        try:
            return method(self, *args, **kwargs)
        finally:
            self._scanned = None

    return acting
