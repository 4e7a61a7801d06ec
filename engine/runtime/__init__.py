"""The one package that imports SpiffWorkflow.

Everything else in Flowdesk talks to the BPMN engine through these names, in plain
Python data: XML documents in, serialized specs and instance states as dicts, human
tasks, events and failures as small dataclasses out. Every change Flowdesk makes to
SpiffWorkflow's own code is in :mod:`.overrides`, installed by :func:`install_overrides`.
"""

from .clock import now as step_now
from .execution import Execution, ProcessRuntime
from .overrides import install as install_overrides
from .parsing import ParsedProcess, XmlDocument, parse_processes
from .results import Failure, ReadyTask, RuntimeEvent
from .scripting import SandboxScriptEngine
from .serialization import STATE_FORMAT
from .timers import timer_schedule

__all__ = [
    "STATE_FORMAT",
    "Execution",
    "Failure",
    "ParsedProcess",
    "ProcessRuntime",
    "ReadyTask",
    "RuntimeEvent",
    "SandboxScriptEngine",
    "XmlDocument",
    "install_overrides",
    "parse_processes",
    "step_now",
    "timer_schedule",
]
