"""Liveness and readiness, for load balancers and orchestrators (no authentication).

*Live*: the process answers (nothing else is asked, so a slow database does not get a
healthy server restarted). *Ready*: it can do its work: the database answers, the broker
answers when one is configured, and at least ``FLOWDESK_HEALTH_MIN_WORKERS`` workers
(default 0: reported, not required) sent a heartbeat in the last 30 seconds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..context import EngineContext
from ..persistence.models import WorkerHeartbeat

# A worker whose heartbeat is older than this is not counted as live.
LIVE_WORKER_SECONDS = 30
BROKER_TIMEOUT_SECONDS = 2.0


def liveness() -> dict[str, str]:
    return {"status": "ok"}


def readiness(ctx: EngineContext) -> dict[str, Any]:
    """Each check's answer, and ``status`` "ok" only when every required one is."""
    checks: dict[str, Any] = {}
    ok = True
    try:
        with ctx.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            live = connection.scalar(select(func.count()).select_from(WorkerHeartbeat).where(
                WorkerHeartbeat.seen_at >= ctx.clock.now() - timedelta(seconds=LIVE_WORKER_SECONDS)))
        checks["database"] = "ok"
    except SQLAlchemyError as err:
        checks["database"] = f"unavailable: {getattr(err, 'orig', None) or type(err).__name__}"
        live, ok = None, False
    if ctx.settings.broker_url:
        checks["broker"] = broker_status(ctx.settings.broker_url)
        ok = ok and checks["broker"] == "ok"
    required = ctx.settings.health_min_workers
    if live is None:
        checks["workers"] = "unknown"
    elif live >= max(required, 1):
        checks["workers"] = "ok"
    else:
        checks["workers"] = f"{live} live, {required} required" if required else "none live"
        ok = ok and live >= required
    checks["live_workers"] = live
    return {"status": "ok" if ok else "degraded", **checks}


def broker_status(url: str) -> str:
    """Whether the celery broker accepts a connection within a couple of seconds."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                         timeout=BROKER_TIMEOUT_SECONDS)
        return "ok"
    except Exception as err:  # any failure to connect is "not ready", never a 500
        return f"unavailable: {type(err).__name__}"
