"""Spreading keep-alive connections evenly over forked web workers.

Forked workers all wait on the one listening socket, and the kernel wakes every one of
them for a new connection: whichever runs first accepts it, and asyncio's accept loop
then takes every other connection already waiting too. With a few long-lived keep-alive
connections (the benchmark's 4 clients, a proxy's pool) that often leaves one worker
with 3 or 4 connections and the other with 1 or none, for as long as they stay open:
one core does the work while the other idles (measured: 2/2 in 1 run of 6, 4/0 in 1).

So each worker publishes how many connections it holds on a board shared by all of
them (an anonymous shared memory page made before the fork), and accepts a waiting
connection only when it holds no more than the least loaded worker; otherwise it
steps aside for ``DEFER_SECONDS`` so that one takes it. A worker that steps aside
``MAX_DEFERRALS`` times in a row accepts anyway (the least loaded one may be busy or
dead), so a connection never waits more than about 10 ms for a worker.
"""

from __future__ import annotations

import asyncio
import logging
import mmap
import socket
import struct

import uvicorn

log = logging.getLogger(__name__)

DEFER_SECONDS = 0.002
MAX_DEFERRALS = 5
_SLOT = struct.Struct("q")


class ConnectionBoard:
    """How many connections each worker holds, in memory the forked workers share."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._memory = mmap.mmap(-1, _SLOT.size * slots)  # MAP_SHARED | MAP_ANONYMOUS: kept across fork

    def publish(self, slot: int, connections: int) -> None:
        _SLOT.pack_into(self._memory, slot * _SLOT.size, connections)

    def held(self, slot: int) -> int:
        return _SLOT.unpack_from(self._memory, slot * _SLOT.size)[0]

    def should_accept(self, slot: int, connections: int) -> bool:
        """True when this worker, holding ``connections``, is among the least loaded."""
        return all(connections <= self.held(other) for other in range(self.slots) if other != slot)


class BalancedServer(uvicorn.Server):
    """uvicorn's server on an inherited listening socket, accepting one connection at a
    time and only when the :class:`ConnectionBoard` says this worker's turn has come."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, board: ConnectionBoard, slot: int) -> None:
        super().__init__(config)
        self.listener = sock
        self.board = board
        self.slot = slot
        self.accepted = 0
        self._deferrals = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # Lifespan and state as uvicorn does it, without uvicorn's own accepting server.
        await super().startup(sockets=[])
        self._loop = asyncio.get_running_loop()
        self.listener.setblocking(False)
        self.board.publish(self.slot, 0)
        self._loop.add_reader(self.listener.fileno(), self._ready)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._stop_accepting()
        await super().shutdown(sockets=None)

    async def on_tick(self, counter: int) -> bool:
        # Connections also close: keep the board current between accepts.
        self.board.publish(self.slot, len(self.server_state.connections))
        return await super().on_tick(counter)

    def _stop_accepting(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.listener.fileno())
            self._loop = None

    def _resume(self) -> None:
        if self._loop is not None and not self.should_exit:
            self._loop.add_reader(self.listener.fileno(), self._ready)

    def _ready(self) -> None:
        loop = self._loop
        if loop is None:
            return
        held = len(self.server_state.connections)
        self.board.publish(self.slot, held)
        if not self.board.should_accept(self.slot, held) and self._deferrals < MAX_DEFERRALS:
            self._deferrals += 1
            loop.remove_reader(self.listener.fileno())
            loop.call_later(DEFER_SECONDS, self._resume)
            return
        self._deferrals = 0
        try:
            conn, _address = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return  # another worker took it
        except OSError:  # out of file descriptors and the like: try again a little later
            log.exception("web worker %d could not accept a connection", self.slot)
            loop.remove_reader(self.listener.fileno())
            loop.call_later(0.1, self._resume)
            return
        conn.setblocking(False)
        self.accepted += 1
        self.board.publish(self.slot, held + 1)
        loop.create_task(self._connect(loop, conn))

    async def _connect(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        config = self.config
        try:
            await loop.connect_accepted_socket(
                lambda: config.http_protocol_class(config=config, server_state=self.server_state,
                                                   app_state=self.lifespan.state),
                conn)
        except OSError:
            conn.close()  # the client went away before the transport was made
