"""Business records: the documents processes create (orders, receipts, invoices, cases)
and the reference data they read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel

from ._common import ActorDep, Cursor, EngineDep, Limit, ok, problems, router

routes = router("records")
RecordType = Annotated[str, Path(pattern="^[a-z][a-z0-9_]{0,49}$", description="e.g. purchase_order")]


class RecordLinkOut(BaseModel):
    instance_id: str
    relation: str


class RecordOut(BaseModel):
    id: str
    type: str
    number: str
    status: str
    data: dict[str, Any]
    created_at: str
    updated_at: str
    created_by: str
    instances: list[RecordLinkOut]


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None


@routes.get("/records/{type}", response_model=RecordPage, responses=problems(400, 401, 403, 422),
            summary="Records of one type (employees: those linked to instances they may read)")
def list_records(type: RecordType, engine: EngineDep, actor: ActorDep,
                 status: Annotated[str | None, Query(max_length=40)] = None,
                 number: Annotated[str | None, Query(max_length=80)] = None,
                 instance_id: Annotated[str | None, Query(max_length=36)] = None,
                 limit: Limit = 50, cursor: Cursor = None):
    return ok(engine.records.list_records(type, by=actor, status=status, number=number, instance_id=instance_id,
                                          limit=limit, cursor=cursor))


@routes.get("/records/{type}/{ref}", response_model=RecordOut, responses=problems(401, 403, 404, 422),
            summary="One record, by id or number (PO-2026-000123)")
def get_record(type: RecordType, ref: Annotated[str, Path(max_length=80)], engine: EngineDep, actor: ActorDep):
    return ok(engine.records.get_record(type, ref, by=actor))
