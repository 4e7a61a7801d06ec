"""Running the HTTP server: one process, or N web workers forked from one parent.

``flowdesk serve`` runs ``Settings.serve_processes()`` web workers: one per core on
PostgreSQL, one on SQLite (engine/config.py says why). One worker is served in this
process, as before. More are forked by :class:`~.prefork.Supervisor` from a parent
that has imported the application (and what a worker loads at its first request), so
that the code, about 120 MB of a worker's memory, is held once for the whole tree
instead of once per worker; each worker then builds its own :class:`ProcessEngine`
(its own database connections, caches sized to its share of ``FLOWDESK_CACHE_MB``).

The embedded background worker (timers, service calls) runs exactly once per serve:
in the one process, or in web worker 0 (a replacement of worker 0 runs it again), never
in the parent, which must stay free of threads to fork safely.
"""

from __future__ import annotations

import importlib
import signal
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowdesk.engine.config import Settings
from flowdesk.engine.logs import log_config
from flowdesk.engine.process_engine import ProcessEngine
from flowdesk.engine.tuning import tune_process

from .app import create_app
from .balance import BalancedServer, ConnectionBoard
from .prefork import EXIT_BOOT_FAILED, Supervisor

# The worker that runs the embedded background worker beside its requests.
BACKGROUND_SLOT = 0
# Modules a web worker imports only when it serves (uvicorn's loop and protocol, the
# PostgreSQL driver): imported by the parent before it forks, so they are shared too.
PRELOAD = ("uvicorn.loops.auto", "uvicorn.loops.uvloop", "uvicorn.protocols.http.auto",
           "uvicorn.protocols.http.httptools_impl", "uvicorn.protocols.http.h11_impl",
           "uvicorn.lifespan.on")
POSTGRES_PRELOAD = ("psycopg", "sqlalchemy.dialects.postgresql.psycopg")


Announce = Callable[[str], None]


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    processes: int
    background: bool  # run the embedded worker (off when celery workers do the work)


def serve(settings: Settings, options: ServeOptions, announce: Announce = print) -> int:
    """Serve until stopped; the exit status."""
    if options.processes <= 1:
        return _serve_in_this_process(settings, options, announce)
    return _serve_forked(settings, options, announce)


def _uvicorn_config(app: Any, settings: Settings, options: ServeOptions):
    import uvicorn

    return uvicorn.Config(app, host=options.host, port=options.port, log_level="info",
                          # One format for uvicorn's lines and Flowdesk's (FLOWDESK_LOG_FORMAT=json: JSON
                          # lines with the request id); in JSON, Flowdesk's own request line replaces
                          # uvicorn's access line.
                          log_config=log_config(settings.log_format),
                          access_log=settings.log_format != "json")


def _serve_in_this_process(settings: Settings, options: ServeOptions, announce: Announce) -> int:
    import uvicorn

    app = create_app(ProcessEngine(settings, migrate=False))
    background = _start_embedded_worker(app.state.engine, announce) if options.background else None
    try:
        _keep_running_after_signals()
        uvicorn.Server(_uvicorn_config(app, settings, options)).run()
    finally:
        if background is not None:
            background.stop()
    return 0


def _serve_forked(settings: Settings, options: ServeOptions, announce: Announce) -> int:
    config = _uvicorn_config("flowdesk.api.app:create_app_from_env", settings, options)
    sock = config.bind_socket()
    sock.listen(config.backlog)  # bound, not yet listening: the workers accept from it themselves
    preload(settings)
    worker_settings = settings.for_web_worker(options.processes)
    board = ConnectionBoard(options.processes)
    announce(f"{options.processes} web workers, {worker_settings.cache_mb} MB workflow cache each")

    def child_main(slot: int) -> int:
        return _web_worker(slot, sock, board, worker_settings, options, announce)

    try:
        return Supervisor(options.processes, child_main).run()
    finally:
        sock.close()


def _web_worker(slot: int, sock: socket.socket, board: ConnectionBoard, settings: Settings,
                options: ServeOptions, announce: Announce) -> int:
    """One forked web worker: its own engine and app on the inherited socket."""
    try:
        tune_process(settings)
        app = create_app(ProcessEngine(settings, migrate=False))
        config = _uvicorn_config(app, settings, options)
    except Exception:
        traceback.print_exc()
        return EXIT_BOOT_FAILED
    background = None
    if options.background and slot == BACKGROUND_SLOT:
        background = _start_embedded_worker(app.state.engine, announce)
    try:
        _keep_running_after_signals()
        BalancedServer(config, sock, board, slot).run()
    finally:
        if background is not None:
            background.stop()
        app.state.engine.close()
    return 0


def preload(settings: Settings) -> list[str]:
    """Import what web workers would import later, so forked workers share it; the
    modules imported (a module that is not installed is skipped)."""
    done = []
    names = PRELOAD + (() if settings.database_url.startswith("sqlite") else POSTGRES_PRELOAD)
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        done.append(name)
    return done


def _keep_running_after_signals() -> None:
    """uvicorn raises the signal that stopped it again once it has shut down; with the
    default SIGTERM action that would end the process before the embedded worker is
    stopped and the engine closed. A no-op handler lets the ``finally`` blocks run."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)


def _stopped(_signum: int, _frame: object) -> None:
    """Nothing to do: uvicorn has already shut down when this runs."""


def _start_embedded_worker(engine: ProcessEngine, announce: Announce):
    """The background worker of this serve, on the web worker's own engine."""
    from flowdesk.engine.jobs.executor import JobExecutor
    from flowdesk.engine.jobs.worker import EmbeddedWorker

    executor = JobExecutor(engine.context)
    background = EmbeddedWorker(executor)
    background.start()
    announce(f"background worker {executor.worker_id} started")
    return background
