"""Storage: tables, the transaction boundary and schema migrations."""

from .db import Database
from .migrate import upgrade

__all__ = ["Database", "upgrade"]
