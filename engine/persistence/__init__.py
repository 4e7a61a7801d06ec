"""Storage: tables, the transaction boundary and schema migrations."""

from .db import Database, after_commit
from .migrate import upgrade

__all__ = ["Database", "after_commit", "upgrade"]
