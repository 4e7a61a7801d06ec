"""Where things are: the repository, the tests' own fixtures and the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

from flowdesk.engine.config import shipped_definitions

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
#: Third-party models for conformance tests (present on machines that have ../shared).
CORPUS = REPO.parent / "shared" / "corpus"
#: Where a corpus may be: $FLOWDESK_CORPUS first, then beside the checkout (or its worktree's main).
CORPUS_CANDIDATES = [Path(os.environ["FLOWDESK_CORPUS"])] if os.environ.get("FLOWDESK_CORPUS") else []
CORPUS_CANDIDATES += [CORPUS, REPO.parent.parent / "shared" / "corpus"]
#: Models of background work: timers, service calls, messages.
BACKGROUND = FIXTURES / "background"


def leave_request_files() -> list[Path]:
    """The shipped leave request and nothing else: tests of engine behaviour should not
    pay for compiling every shipped process."""
    processes, forms = shipped_definitions()
    return [processes / "leave_request.bpmn", processes / "leave_approval.dmn",
            *sorted(forms.glob("leave_*.yaml"))]


#: The leave request's start data that every test may start from.
LEAVE = {"leave_type": "vacation", "start_date": "2026-12-01", "end_date": "2026-12-08", "days": 6}
