"""Every change Flowdesk makes to SpiffWorkflow's own code, installed in one place.

SpiffWorkflow is the BPMN engine underneath and is not forked. Where its behaviour does
not fit a durable, multi-user engine, Flowdesk replaces a function or a module global of
the library; each such replacement is an :class:`Override` listed in :data:`OVERRIDES`,
with what it changes and why. :func:`install` applies them all, explicitly (never as a
side effect of an import), after checking that the installed SpiffWorkflow is a version
they were written and tested against: an override of a private function silently
applied to another release would be worse than none.

``ProcessEngine`` installs them when it starts, and so does every :class:`ProcessRuntime`
before it builds a workflow, so that no workflow ever runs without them. Subclasses that
extend SpiffWorkflow through its public extension points (the deferred service task, the
call activity that starts a child instance (calls.py), the spec-less workflow converter)
are not overrides and live with the code that uses them.
tests/runtime/test_overrides.py shows, for each override, the behaviour with and without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from typing import Any

# The SpiffWorkflow releases the overrides below were written against (pyproject.toml pins
# the same range): a minor release may rename or restructure what they replace.
SUPPORTED_SERIES = (3, 2)


class UnsupportedSpiffWorkflow(RuntimeError):
    """The installed SpiffWorkflow is not a release Flowdesk's overrides were tested on."""


@dataclass
class Override:
    """A replacement of ``attribute`` on ``owner`` (a class or module of SpiffWorkflow).

    ``replacement`` is called once, at install, with SpiffWorkflow's own value of the
    attribute, so a replacement that wraps the original gets it without reaching for it."""

    name: str
    why: str
    owner: Callable[[], Any]
    attribute: str
    replacement: Callable[[Any], Any]
    _original: Any = field(default=None, repr=False)
    _installed: bool = field(default=False, repr=False)

    @property
    def installed(self) -> bool:
        return self._installed

    def install(self) -> None:
        if self._installed:
            return
        target = self.owner()
        self._original = getattr(target, self.attribute)
        setattr(target, self.attribute, self.replacement(self._original))
        self._installed = True

    def uninstall(self) -> None:
        """Put SpiffWorkflow's own code back (tests use this to show what an override does)."""
        if not self._installed:
            return
        setattr(self.owner(), self.attribute, self._original)
        self._installed = False

    @property
    def original(self) -> Any:
        """SpiffWorkflow's own value of the attribute, whether or not the override is in."""
        return self._original if self._installed else getattr(self.owner(), self.attribute)


# -- 1. timers read Flowdesk's clock -------------------------------------------------------------
def _timer_module():
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    return timer


def _clocked_datetime(_original):
    from . import clock

    class ClockedDatetime(datetime):
        """``datetime`` whose ``now()`` is the time of the step being run (see clock.py)."""

        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            moment = clock.now()
            return moment.astimezone(tz) if tz is not None else moment.astimezone(UTC).replace(tzinfo=None)

    return ClockedDatetime


# -- 2. task iterators see arbitrarily deep trees -----------------------------------------------
# SpiffWorkflow's task iterators stop at a depth of 1000, and a modelled loop adds tree levels
# with every round: after ~333 rounds of a three-step loop the live task became invisible and
# the instance looked completed, with its data gone. The iterators walk with an explicit list
# (no recursion), so the bound only has to exceed any real tree; pruning keeps trees shallow.
MAX_TREE_DEPTH = 10_000_000


def _deeper_defaults(owner: Callable[[], Any]) -> Callable[[tuple], tuple]:
    """The default arguments of the iterator constructor ``owner()`` returns, with
    :data:`MAX_TREE_DEPTH` as ``max_depth``'s (SpiffWorkflow passes the other arguments
    by position too, so the defaults are replaced rather than the constructor wrapped)."""

    def replacement(original: tuple) -> tuple:
        code, defaults = owner().__code__, list(original)
        defaults[code.co_varnames.index("max_depth") - (code.co_argcount - len(defaults))] = MAX_TREE_DEPTH
        return tuple(defaults)

    return replacement


def _task_iterator_init():
    from SpiffWorkflow.util.task import TaskIterator

    return TaskIterator.__init__


def _bpmn_task_iterator_init():
    from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator

    return BpmnTaskIterator.__init__


# -- 3 and 4. pruned task trees ------------------------------------------------------------------
def _parallel_gateway():
    from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway

    return ParallelGateway


def _task_class():
    from SpiffWorkflow.task import Task

    return Task


def _pruned_threshold(_original):
    from .pruning import parallel_gateway_threshold

    return parallel_gateway_threshold


def _iterative_descendant(_original):
    from .pruning import is_descendant_of

    return is_descendant_of


# -- 6. multi-instance body scripts ----------------------------------------------------------
def _spiff_task_parser():
    from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

    return SpiffTaskParser


def _body_scripts(original):
    from .loops import copy_task_attrs_with_body_scripts

    return copy_task_attrs_with_body_scripts(original)


# -- 7. message payloads without a message variable --------------------------------------------
def _spiff_message_definition():
    from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

    return MessageEventDefinition


def _merged_payload(original):
    def update_task_data(self, my_task):
        if self.message_var is None:
            payload = my_task.internal_data.pop(self.name, None)
            if isinstance(payload, dict):
                my_task.data.update(payload)
            return
        original(self, my_task)

    return update_task_data


# -- 8. cron timer cycles ---------------------------------------------------------------------
def _cycle_timer():
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

    return CycleTimerEventDefinition


def _cron_cycle(original):
    from .cron import cycle_complete_with_cron

    return cycle_complete_with_cron(original)


OVERRIDES: tuple[Override, ...] = (
    Override(
        "timer-clock",
        "SpiffWorkflow reads datetime.now() inside its timer event definitions; timers must use "
        "the engine's clock (a test moves a fake clock instead of sleeping; demo mode scales time)",
        _timer_module, "datetime", _clocked_datetime,
    ),
    Override(
        "task-iterator-depth",
        "TaskIterator stops at depth 1000, so a live task ~333 rounds deep into a loop became "
        "invisible and the instance looked completed",
        _task_iterator_init, "__defaults__", _deeper_defaults(_task_iterator_init),
    ),
    Override(
        "bpmn-task-iterator-depth",
        "BpmnTaskIterator has the same depth bound as TaskIterator",
        _bpmn_task_iterator_init, "__defaults__", _deeper_defaults(_bpmn_task_iterator_init),
    ),
    Override(
        "parallel-gateway-pruned-ancestry",
        "a parallel gateway merging a loop-back walks every ancestor to the first task; pruned "
        "states keep those ancestors as a summary, which the replacement walks instead "
        "(and iteratively: the original recursed once per tree level)",
        _parallel_gateway, "_check_threshold_unstructured", _pruned_threshold,
    ),
    Override(
        "iterative-is-descendant-of",
        "Task.is_descendant_of recursed once per tree level and overflowed the stack on "
        "deep unpruned trees (states written before pruning existed)",
        _task_class, "is_descendant_of", _iterative_descendant,
    ),
    Override(
        "multi-instance-body-scripts",
        "Camunda multi-instance activities compute their input collection once on the body and run "
        "their variable mappings on each instance; SpiffWorkflow puts an activity's scripts on one or "
        "the other, so the body also reads flowdesk:bodyPreScript/bodyPostScript (see loops.py)",
        _spiff_task_parser, "_copy_task_attrs", _body_scripts,
    ),
    Override(
        "message-payload-merged",
        "a message caught without spiffworkflow:messageVariable dropped its payload; Camunda and "
        "Zeebe models expect the message's variables in the instance, so the payload's entries are "
        "merged into the task data",
        _spiff_message_definition, "update_task_data", _merged_payload,
    ),
    Override(
        "cron-timer-cycles",
        "timer cycles written as cron expressions (Camunda 7's Quartz, Zeebe's Spring cron: "
        "'0 0/5 * * * ?') fire on their schedule; SpiffWorkflow knows ISO 8601 repeating "
        "intervals only (see cron.py)",
        _cycle_timer, "cycle_complete", _cron_cycle,
    ),
)

_lock = threading.Lock()
# Overrides a test has taken out for a while (see :func:`suspended`); install() skips them.
_suspended: set[str] = set()


def check_version() -> str:
    """The installed SpiffWorkflow version; :class:`UnsupportedSpiffWorkflow` unless it is
    of the series the overrides were written against."""
    found = installed_version("SpiffWorkflow")
    try:
        series = tuple(int(part) for part in found.split(".")[:2])
    except ValueError:
        series = ()
    if series != SUPPORTED_SERIES:
        wanted = ".".join(map(str, SUPPORTED_SERIES))
        raise UnsupportedSpiffWorkflow(
            f"SpiffWorkflow {found} is installed, but Flowdesk's overrides of it are written and "
            f"tested for {wanted}.x (install 'SpiffWorkflow>={wanted}.0,<{SUPPORTED_SERIES[0]}."
            f"{SUPPORTED_SERIES[1] + 1}')")
    return found


def install() -> None:
    """Check the library's version, then apply every override (once; later calls are free)."""
    if all(o.installed or o.name in _suspended for o in OVERRIDES):
        return
    with _lock:
        check_version()
        for override in OVERRIDES:
            if override.name not in _suspended:
                override.install()


def installed() -> bool:
    return all(o.installed for o in OVERRIDES)


def by_name(name: str) -> Override:
    return next(o for o in OVERRIDES if o.name == name)


@contextmanager
def suspended(name: str) -> Iterator[Override]:
    """SpiffWorkflow's own code in place of one override for a while: how the tests show
    what each override changes. Not for production use: other threads see it too."""
    override = by_name(name)
    install()
    with _lock:
        _suspended.add(name)
        override.uninstall()
    try:
        yield override
    finally:
        with _lock:
            _suspended.discard(name)
            override.install()
