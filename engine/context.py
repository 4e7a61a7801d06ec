"""What one engine's services, jobs and connectors share, built once by ``ProcessEngine``.

Nothing below the facade imports :class:`~flowdesk.engine.process_engine.ProcessEngine`:
jobs, connectors and services are handed this context instead, and reach the database,
the clock, the audit log, the definitions and the step writer through it. So the facade
depends on everything and nothing depends on the facade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .clock import Clock
from .config import Settings
from .connectors.base import ConnectorRegistry
from .errors import ConcurrentModification
from .history.audit import AuditLog
from .identity.actors import ActorCache
from .identity.users import UserStore
from .instances.loader import ExecutionLoader
from .instances.steps import StepWriter
from .persistence import Database, failures
from .records.files import FileStore
from .records.store import RecordStore
from .repository.store import DefinitionStore


@dataclass(frozen=True)
class EngineContext:
    settings: Settings
    clock: Clock
    db: Database
    audit: AuditLog
    definitions: DefinitionStore
    executions: ExecutionLoader
    steps: StepWriter
    connectors: ConnectorRegistry
    records: RecordStore
    files: FileStore
    users: UserStore
    actors: ActorCache
    # Flowdesk's own functions offered to model expressions (e.g. ``deadline``).
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error; a row
        changed by someone else meanwhile is a :class:`ConcurrentModification`."""
        try:
            with self.db.transaction() as session:
                yield session
        except StaleDataError:
            raise ConcurrentModification("the instance was changed by someone else at the same time; "
                                         "nothing was saved") from None
        except SQLAlchemyError as err:
            meaning = failures.translate(err)
            if meaning is None:
                raise
            raise meaning from err
