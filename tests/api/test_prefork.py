"""The pre-fork supervisor behind ``flowdesk serve`` with several web workers: it forks one
child per slot on one listening socket, replaces a child that dies, stops every child on
SIGTERM, and gives up on a child that cannot start.

The supervisor runs in a subprocess (forking the test runner itself would copy pytest and
its threads); its children are tiny TCP servers that answer with their pid and record
their pid per slot, so the test can tell which process answered and kill one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SUPERVISED = textwrap.dedent("""
    import os, signal, socket, sys
    from pathlib import Path
    from flowdesk.api.prefork import EXIT_BOOT_FAILED, Supervisor

    processes, folder, mode = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    sock = socket.create_server(("127.0.0.1", 0))
    (folder / "port").write_text(str(sock.getsockname()[1]))

    def child_main(slot):
        if mode == "broken":
            return EXIT_BOOT_FAILED
        stopping = []
        def stop(signum, frame):
            (folder / f"stopped-{os.getpid()}").write_text(str(signum))
            stopping.append(signum)
            sock.close()
        signal.signal(signal.SIGTERM, stop)
        (folder / f"slot-{slot}").write_text(str(os.getpid()))
        while not stopping:
            try:
                conn, _ = sock.accept()
            except OSError:
                break
            with conn:
                conn.sendall(str(os.getpid()).encode())
        return 0

    sys.exit(Supervisor(processes, child_main, grace=5, quick_death_seconds=0.2).run())
""")


def start(tmp_path: Path, processes: int, mode: str = "serve") -> subprocess.Popen:
    script = tmp_path / "supervised.py"
    script.write_text(SUPERVISED)
    return subprocess.Popen([sys.executable, str(script), str(processes), str(tmp_path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def slot_pids(folder: Path, processes: int) -> dict[int, int] | None:
    files = [folder / f"slot-{slot}" for slot in range(processes)]
    if not all(f.exists() and f.read_text() for f in files):
        return None
    return {slot: int(f.read_text()) for slot, f in enumerate(files)}


def ask(folder: Path) -> int:
    port = int((folder / "port").read_text())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        return int(conn.recv(64))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not serving
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def stop_later():
    started: list[subprocess.Popen] = []
    yield started.append
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_one_child_per_slot_answers_on_the_parents_socket(tmp_path, stop_later):
    proc = start(tmp_path, 3)
    stop_later(proc)
    pids = wait_for(lambda: slot_pids(tmp_path, 3), "three children")
    assert len(set(pids.values())) == 3 and proc.pid not in pids.values()
    assert all(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(proc.pid)
               for pid in pids.values())
    answers = {ask(tmp_path) for _ in range(6)}
    assert answers <= set(pids.values()) and answers


def test_a_killed_child_is_replaced_in_its_slot(tmp_path, stop_later):
    proc = start(tmp_path, 2)
    stop_later(proc)
    before = wait_for(lambda: slot_pids(tmp_path, 2), "two children")
    os.kill(before[1], signal.SIGKILL)
    after = wait_for(lambda: (p := slot_pids(tmp_path, 2)) and p[1] != before[1] and p, "a new child in slot 1")
    assert after[0] == before[0] and alive(after[1])
    assert not alive(before[1])
    assert ask(tmp_path) in set(after.values())
    assert proc.poll() is None


def test_sigterm_stops_every_child_gracefully_and_the_parent_exits_0(tmp_path, stop_later):
    proc = start(tmp_path, 2)
    stop_later(proc)
    pids = wait_for(lambda: slot_pids(tmp_path, 2), "two children")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    for pid in pids.values():
        assert not alive(pid)
        # Each child got SIGTERM (its handler ran), not SIGKILL.
        assert (tmp_path / f"stopped-{pid}").read_text() == str(int(signal.SIGTERM))


def test_a_child_that_cannot_start_stops_the_server_instead_of_forking_forever(tmp_path, stop_later):
    from flowdesk.api.prefork import EXIT_BOOT_FAILED

    proc = start(tmp_path, 2, mode="broken")
    stop_later(proc)
    assert proc.wait(30) == EXIT_BOOT_FAILED
    assert "could not start" in proc.stdout.read()


def test_at_least_one_process_is_required():
    from flowdesk.api.prefork import Supervisor

    with pytest.raises(ValueError, match="1 or more"):
        Supervisor(0, lambda slot: 0)
