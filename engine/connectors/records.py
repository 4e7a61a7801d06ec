"""Connectors over Flowdesk's own business records: numbering, documents, stock, BOMs,
credit exposure.

These are what the shipped ERP/CRM processes call. A site that runs them against an
existing ERP replaces them with connectors of the same names that call that ERP; the
processes do not change. Each call runs in its own transaction, and the ones that change
something are idempotent: the call's idempotency key is stored with what it created.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .. import values
from ..errors import NotFound
from ..persistence.models import Record
from ..records.store import record_view
from .base import BpmnError, CallContext, Connector

if TYPE_CHECKING:
    from ..context import EngineContext

_TYPE = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}


class _RecordConnector(Connector):
    def __init__(self, context: EngineContext) -> None:
        self.context = context

    def _get(self, session, type_: str, ref: str) -> Record:
        """A record the model named; a missing one is a business outcome the model can
        catch (error boundary ``record_not_found``), not a failure worth retrying."""
        try:
            return self.context.records.get(session, type_, ref)
        except NotFound as err:
            raise BpmnError("record_not_found", err.detail) from err

    def _plain(self, record: Record) -> dict[str, Any]:
        view = record_view(record)
        view.pop("instances")
        return view


class CreateRecord(_RecordConnector):
    """Create a document (``PO-2026-000123``) linked to the calling instance."""

    name = "record.create"
    parameters_schema = {"type": "object", "required": ["type"], "additionalProperties": False,
                         "properties": {"type": _TYPE, "data": {"type": "object"}, "status": {"type": "string"}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        with self.context.transaction() as session:
            record = self.context.records.create(
                session, params["type"], dict(params.get("data") or {}), "system",
                status=params.get("status", "draft"), instance_id=context.instance_id or None,
                idempotency_key=context.idempotency_key)
            return self._plain(record)


class UpdateRecord(_RecordConnector):
    """Change a record's status and/or merge fields into it."""

    name = "record.update"
    parameters_schema = {"type": "object", "required": ["type", "ref"], "additionalProperties": False,
                         "properties": {"type": _TYPE, "ref": {"type": "string"}, "data": {"type": "object"},
                                        "status": {"type": "string"}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        with self.context.transaction() as session:
            self._get(session, params["type"], str(params["ref"]))
            record = self.context.records.update(
                session, params["type"], str(params["ref"]), "system", changes=params.get("data"),
                status=params.get("status"), instance_id=context.instance_id or None)
            return self._plain(record)


class GetRecord(_RecordConnector):
    name = "record.get"
    parameters_schema = {"type": "object", "required": ["type", "ref"], "additionalProperties": False,
                         "properties": {"type": _TYPE, "ref": {"type": "string"}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        with self.context.transaction() as session:
            record = self._get(session, params["type"], str(params["ref"]))
            if context.instance_id:
                self.context.records.link(session, record, context.instance_id, "read")
            return self._plain(record)


class NextNumber(_RecordConnector):
    """A document number without a document (e.g. an external reference)."""

    name = "number.next"
    parameters_schema = {"type": "object", "required": ["prefix"], "additionalProperties": False,
                         "properties": {"prefix": {"type": "string", "pattern": "^[A-Z]{2,6}$"}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        with self.context.transaction() as session:
            return {"number": self.context.records.next_number(session, params["prefix"])}


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class StockCheck(_RecordConnector):
    """Is ``quantity`` of ``item`` available (on hand minus reserved)?"""

    name = "stock.check"
    parameters_schema = {"type": "object", "required": ["item", "quantity"], "additionalProperties": False,
                         "properties": {"item": {"type": "string"}, "quantity": {"type": ["number", "string"]}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        with self.context.transaction() as session:
            item = values.decode(self.context.records.get(session, "item", str(params["item"])).data)
        available = _decimal(item.get("on_hand", 0)) - _decimal(item.get("reserved", 0))
        wanted = _decimal(params["quantity"])
        return {"item": params["item"], "available": available, "requested": wanted,
                "short": max(Decimal(0), wanted - available), "in_stock": available >= wanted}


class StockMove(_RecordConnector):
    """Book a stock movement (receipt: positive, issue: negative) once per call."""

    name = "stock.move"
    parameters_schema = {"type": "object", "required": ["item", "quantity"], "additionalProperties": False,
                         "properties": {"item": {"type": "string"}, "quantity": {"type": ["number", "string"]},
                                        "reason": {"type": "string"}, "reference": {"type": "string"}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        quantity = _decimal(params["quantity"])
        with self.context.transaction() as session:
            done = session.scalars(select(Record).where(Record.idempotency_key == context.idempotency_key)).first()
            item_record = self.context.records.get(session, "item", str(params["item"]))
            item = values.decode(item_record.data)
            if done is None:
                on_hand = _decimal(item.get("on_hand", 0)) + quantity
                if on_hand < 0:
                    raise BpmnError("insufficient_stock", f"{params['item']}: {on_hand + -quantity} on hand, "
                                                          f"{-quantity} requested")
                self.context.records.update(session, "item", item_record.number, "system",
                                           changes={"on_hand": on_hand}, instance_id=context.instance_id or None)
                self.context.records.create(session, "stock_move", {
                    "item": params["item"], "quantity": quantity, "reason": params.get("reason", ""),
                    "reference": params.get("reference", "")}, "system", status="posted",
                    instance_id=context.instance_id or None, idempotency_key=context.idempotency_key)
                item["on_hand"] = on_hand
            return {"item": params["item"], "on_hand": _decimal(item.get("on_hand", 0))}


class ExplodeBom(_RecordConnector):
    """Components needed to make ``quantity`` of ``item``, with what is short."""

    name = "bom.explode"
    parameters_schema = {"type": "object", "required": ["item", "quantity"], "additionalProperties": False,
                         "properties": {"item": {"type": "string"}, "quantity": {"type": ["number", "string"]}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        quantity = _decimal(params["quantity"])
        components = []
        with self.context.transaction() as session:
            product = values.decode(self.context.records.get(session, "item", str(params["item"])).data)
            for line in product.get("bom", []):
                part = values.decode(self.context.records.get(session, "item", str(line["item"])).data)
                needed = _decimal(line["quantity"]) * quantity
                available = _decimal(part.get("on_hand", 0)) - _decimal(part.get("reserved", 0))
                components.append({"item": line["item"], "needed": needed, "available": available,
                                   "short": max(Decimal(0), needed - available)})
        return {"item": params["item"], "quantity": quantity, "components": components,
                "shortages": [c for c in components if c["short"] > 0]}


#: Sales orders the customer is committed to that are not invoiced yet (once billed, the
#: customer invoice carries the amount, so counting the order too would count it twice).
#: An order waiting for its credit check or blocked by it is not a commitment yet.
OPEN_ORDER_STATUSES = ("open", "confirmed", "released", "shipped", "delivered")
#: Customer invoices with money still owed.
UNPAID_INVOICE_STATUSES = ("unpaid", "overdue", "partly_paid")


def open_order_amount(order: Mapping[str, Any]) -> Decimal:
    """What of an open sales order is not invoiced yet: its total less what was invoiced."""
    return max(Decimal(0), _decimal(order.get("total", 0)) - _decimal(order.get("invoiced_amount", 0)))


def unpaid_invoice_amount(invoice: Mapping[str, Any]) -> Decimal:
    """What is still owed on a customer invoice: its total less credit notes and payments.

    Computed from the invoice's parts rather than a stored ``open_amount``, which the
    process refreshes only when a payment arrives (a credit note changes ``credited``)."""
    paid = sum((_decimal(p.get("amount", 0)) for p in invoice.get("payments") or [] if isinstance(p, Mapping)),
               Decimal(0))
    owed = _decimal(invoice.get("total", 0)) - _decimal(invoice.get("credited", 0)) - paid
    return max(Decimal(0), owed)


class CreditExposure(_RecordConnector):
    """Would ``amount`` more put ``customer`` over its credit limit?

    The exposure is what the customer owes or has committed to and not yet paid: the
    open amounts of its unpaid customer invoices (total less credit notes and payments)
    plus the not-yet-invoiced amounts of its open sales orders. Exactly at the limit is
    within it; a cent more exceeds it."""

    name = "credit.exposure"
    parameters_schema = {"type": "object", "required": ["customer", "amount"], "additionalProperties": False,
                         "properties": {"customer": {"type": "string"}, "amount": {"type": ["number", "string"]}}}

    def call(self, params: Mapping[str, Any], context: CallContext) -> Any:
        customer = str(params["customer"])
        with self.context.transaction() as session:
            limit = _decimal(values.decode(self._get(session, "customer", customer).data).get("credit_limit", 0))
            orders = self._open(session, "sales_order", OPEN_ORDER_STATUSES, customer)
            invoices = self._open(session, "customer_invoice", UNPAID_INVOICE_STATUSES, customer)
        open_orders = sum((open_order_amount(o) for o in orders), Decimal(0))
        unpaid_invoices = sum((unpaid_invoice_amount(i) for i in invoices), Decimal(0))
        exposure = open_orders + unpaid_invoices
        amount = _decimal(params["amount"])
        return {"customer": customer, "credit_limit": limit, "exposure": exposure,
                "open_orders": open_orders, "unpaid_invoices": unpaid_invoices,
                "available": limit - exposure, "would_exceed": exposure + amount > limit}

    @staticmethod
    def _open(session, type_: str, statuses: tuple[str, ...], customer: str) -> list[dict]:
        rows = session.scalars(select(Record).where(Record.type == type_, Record.status.in_(statuses)))
        return [data for data in (values.decode(r.data) for r in rows) if data.get("customer") == customer]


def record_connectors(context: EngineContext) -> list[Connector]:
    return [cls(context) for cls in (CreateRecord, UpdateRecord, GetRecord, NextNumber, StockCheck, StockMove,
                                    ExplodeBom, CreditExposure)]
