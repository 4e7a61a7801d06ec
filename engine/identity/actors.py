"""Who is acting: a user with their groups, or the engine itself.

Roles are groups (``admin``, ``designer``, ``auditor``, ``integration``); everything else
is a business group (lanes, candidate groups). A token names a user, not their groups:
groups are read from the database and kept a few seconds by :class:`ActorCache`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

ROLE_GROUPS = frozenset({"admin", "designer", "auditor", "integration"})
# Names no account may take: the engine acts as "system", refused logins are "anonymous".
RESERVED_USERNAMES = frozenset({"system", "anonymous"})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with their groups, or the engine itself (``system``)."""

    username: str
    groups: frozenset[str] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        return self.groups & ROLE_GROUPS

    def in_any(self, groups) -> bool:
        return bool(self.groups.intersection(groups))


SYSTEM = Actor("system")


class ActorCache:
    """The actors a server process authenticated in the last few seconds.

    Every request names its user in a bearer token; reading the user and their groups
    again for each one was a transaction of its own, a sixth of a task completion's
    server time. An entry lives ``seconds`` (monotonic time), and every change of users
    or groups made through this process empties the cache, so only changes made by
    another process (a second server, the CLI) take up to ``seconds`` to apply."""

    def __init__(self, seconds: float, now: Callable[[], float] = time.monotonic, size: int = 10_000) -> None:
        self.seconds = seconds
        self._now = now
        self._size = size
        self._entries: dict[str, tuple[float, Actor]] = {}
        # Bumped by every clear(): an actor read before a change is not cached after it.
        self.generation = 0

    def get(self, username: str) -> Actor | None:
        entry = self._entries.get(username)
        if entry is None:
            return None
        expires, actor = entry
        if self._now() >= expires:
            self._entries.pop(username, None)
            return None
        return actor

    def put(self, actor: Actor, generation: int) -> None:
        """Cache ``actor``, read when :attr:`generation` was ``generation``."""
        if self.seconds <= 0 or generation != self.generation:
            return
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[actor.username] = (self._now() + self.seconds, actor)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
