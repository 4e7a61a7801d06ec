"""Messages and signals from outside systems (admins and integration accounts)."""

from __future__ import annotations

from fastapi import Depends, Request
from flowdesk.engine.identity import authorization

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..schemas import MessageResult, SendMessage, SendSignal, SignalResult
from ._common import ActorDep, EngineDep, ok, problems, router

routes = router("messages")


@routes.post("/messages", response_model=MessageResult, responses=problems(400, 401, 403, 404, 415, 422),
             openapi_extra=json_request(SendMessage, idempotent=True), summary="Send a message")
async def send_message(request: Request, engine: EngineDep, actor: ActorDep,
                       body: Body[SendMessage] = Depends(json_body(SendMessage))):
    """Delivered to every waiting instance whose correlation values match, and starts the
    processes whose message start event has this name; 404 when nothing waits for it."""
    authorization.require_messenger(actor)
    message = body.valid()
    return await idempotent(request, actor, canonical(body.raw), lambda: ok(
        engine.instances.send_message(message.name, message.correlation, message.data, by=actor)))


@routes.post("/signals", response_model=SignalResult, responses=problems(400, 401, 403, 415, 422),
             openapi_extra=json_request(SendSignal, idempotent=True), summary="Broadcast a signal")
async def send_signal(request: Request, engine: EngineDep, actor: ActorDep,
                      body: Body[SendSignal] = Depends(json_body(SendSignal))):
    """Reaches every instance waiting for the signal (an empty list when none waits)."""
    authorization.require_messenger(actor)
    signal = body.valid()
    return await idempotent(request, actor, canonical(body.raw), lambda: ok(
        engine.instances.send_signal(signal.name, signal.data, by=actor)))
