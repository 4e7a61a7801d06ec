"""Forked web workers share keep-alive connections evenly: a worker accepts a waiting
connection only while it holds no more than the least loaded worker, and steps aside a
bounded number of times before it accepts anyway (the least loaded one may be busy or
gone), so no connection waits on a worker that never comes."""

from __future__ import annotations

import socket

import pytest
import uvicorn
from flowdesk.api.balance import MAX_DEFERRALS, BalancedServer, ConnectionBoard


def test_a_worker_accepts_only_while_it_is_among_the_least_loaded():
    board = ConnectionBoard(3)
    for slot, held in enumerate((2, 1, 1)):
        board.publish(slot, held)
    assert not board.should_accept(0, 2)
    assert board.should_accept(1, 1) and board.should_accept(2, 1)  # a tie accepts
    board.publish(1, 3)
    assert not board.should_accept(0, 2)  # slot 2 still holds fewer
    assert board.should_accept(2, 1)


class FakeLoop:
    """Records what the server asks of the event loop."""

    def __init__(self) -> None:
        self.readers: set[int] = set()
        self.later: list[float] = []
        self.tasks: list[object] = []

    def add_reader(self, fd, _callback) -> None:
        self.readers.add(fd)

    def remove_reader(self, fd) -> None:
        self.readers.discard(fd)

    def call_later(self, delay, _callback) -> None:
        self.later.append(delay)

    def create_task(self, coroutine) -> None:
        coroutine.close()  # not run: the test only counts connections handed on
        self.tasks.append(coroutine)


@pytest.fixture
def listener():
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    clients = []
    yield sock, clients
    for client in clients:
        client.close()
    sock.close()


def waiting_connection(listener) -> None:
    sock, clients = listener
    clients.append(socket.create_connection(sock.getsockname()))


def server(sock, board: ConnectionBoard, slot: int) -> tuple[BalancedServer, FakeLoop]:
    balanced = BalancedServer(uvicorn.Config(app=None), sock, board, slot)
    loop = FakeLoop()
    balanced._loop = loop
    loop.add_reader(sock.fileno(), balanced._ready)
    return balanced, loop


def test_the_busier_worker_steps_aside_for_the_idle_one(listener):
    sock, _ = listener
    board = ConnectionBoard(2)
    busy, busy_loop = server(sock, board, 0)
    idle, _ = server(sock, board, 1)
    busy.server_state.connections.update({object(), object()})  # it holds two already
    waiting_connection(listener)

    busy._ready()
    assert busy.accepted == 0 and busy_loop.later  # it stepped aside and will look again
    assert sock.fileno() not in busy_loop.readers
    idle._ready()
    assert idle.accepted == 1
    assert board.held(1) == 1 and board.held(0) == 2


def test_a_worker_that_stepped_aside_enough_times_accepts_anyway(listener):
    sock, _ = listener
    board = ConnectionBoard(2)
    board.publish(1, 0)  # the other worker looks idle but never accepts (busy, or dead)
    busy, busy_loop = server(sock, board, 0)
    busy.server_state.connections.add(object())
    waiting_connection(listener)
    for _ in range(MAX_DEFERRALS):
        busy._ready()
        assert busy.accepted == 0
    busy._ready()
    assert busy.accepted == 1 and len(busy_loop.tasks) == 1
    assert len(busy_loop.later) == MAX_DEFERRALS


def test_a_connection_another_worker_took_first_is_no_error(listener):
    sock, _ = listener
    alone, loop = server(sock, ConnectionBoard(1), 0)
    alone._ready()  # woken, but nothing waits any more
    assert alone.accepted == 0 and not loop.tasks
