"""Storage: tables, the transaction boundary and schema migrations."""

from . import collaboration  # noqa: F401  (its tables join the models' metadata)
from .db import Database, after_commit
from .migrate import upgrade

__all__ = ["Database", "after_commit", "upgrade"]
