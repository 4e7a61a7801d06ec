"""Webhooks for other systems (admins): subscriptions and their delivery log."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from flowdesk.engine.identity import authorization

from ..bodies import Body, canonical, idempotent, json_body, json_request
from ..collaboration_schemas import CreateWebhook, DeliveryPage, WebhookOut, WebhookPage
from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router

routes = router("webhooks")


@routes.post("/webhooks", status_code=201, response_model=WebhookOut, responses=problems(400, 401, 403, 415, 422),
             openapi_extra=json_request(CreateWebhook, idempotent=True),
             summary="Subscribe a URL to events; deliveries are signed (X-Flowdesk-Signature) and retried")
async def create_webhook(request: Request, engine: EngineDep, actor: ActorDep,
                         body: Body[CreateWebhook] = Depends(json_body(CreateWebhook))):
    authorization.require_admin(actor, "manage webhooks")
    hook = body.valid()
    return await idempotent(request, actor, canonical(body.raw), lambda: ok(
        engine.webhooks.create(hook.url, hook.events, hook.secret, by=actor), 201))


@routes.get("/webhooks", response_model=WebhookPage, responses=problems(400, 401, 403, 422), summary="Webhooks")
def list_webhooks(engine: EngineDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.webhooks.list(by=actor, limit=limit, cursor=cursor))


@routes.delete("/webhooks/{webhook_id}", status_code=204, responses=problems(401, 403, 404),
               summary="Stop a webhook (its delivery log stays)")
def delete_webhook(webhook_id: str, engine: EngineDep, actor: ActorDep):
    engine.webhooks.delete(webhook_id, by=actor)
    return Response(status_code=204)


@routes.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage, responses=problems(400, 401, 403, 404),
            summary="The delivery log: every event sent to the webhook, with each attempt")
def deliveries(webhook_id: str, engine: EngineDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.webhooks.deliveries(webhook_id, by=actor, limit=limit, cursor=cursor))
