"""pgbench as the ceiling for one-commit operations on the same PostgreSQL.

TPC-B (pgbench's default script: three updates, a select and an insert in one
transaction) at scale 1 is about as small as a committed write transaction gets, so its
transactions per second with the same number of clients bound what any engine that
commits once per task completion can reach on this database and this machine.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess

TPS = re.compile(r"^tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)",
                 re.MULTILINE)


def find() -> str | None:
    """pgbench on PATH, else the newest one in Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pgbench")
    return max(candidates, key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0) \
        if candidates else None


def libpq_url(url: str) -> str:
    """``url`` as libpq (pgbench) reads it: SQLAlchemy URLs may name a driver
    (``postgresql+psycopg://``), which libpq does not understand."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.startswith("postgresql+"):
        return f"postgresql://{rest}"
    return url


def initialize(binary: str, url: str) -> None:
    """Create pgbench's tables at scale 1 in the database of ``url``."""
    subprocess.run([binary, "-i", "-s", "1", "-q", libpq_url(url)], check=True, capture_output=True, text=True,
                   timeout=120)


def run(binary: str, url: str, clients: int, seconds: int) -> float:
    """TPC-B transactions per second with ``clients`` connections for ``seconds``."""
    done = subprocess.run([binary, "-c", str(clients), "-j", str(clients), "-T", str(seconds), libpq_url(url)],
                          check=True, capture_output=True, text=True, timeout=seconds + 120)
    match = TPS.search(done.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps line:\n{done.stdout[-1000:]}")
    return float(match.group(1))
