"""Flowdesk's benchmark suite: ``python -m bench`` (``--quick`` in CI).

Every measurement lives in its own module and returns a :class:`bench.report.Section`
of plain numbers; ``__main__`` runs them in one process on one machine so that Flowdesk
and its baselines (plain SpiffWorkflow, pgbench) are measured side by side, and
:mod:`bench.report` holds the issue's targets against the numbers. See bench/README.md.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MODELS = BENCH_DIR / "models"
REPO = BENCH_DIR.parent
