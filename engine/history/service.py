"""The history service: what happened, who did it, under which rules, and proof of it.

Camunda's HistoryService in Flowdesk's terms: an instance's history, the auditors'
search and export of the hash-chained log and its verification, the KPI and controls
reports, and retention. Every method is one transaction (an export streams in short
ones) and takes the acting user.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from .. import values
from ..context import EngineContext
from ..diagrams.labels import element_names
from ..errors import Conflict, FieldError, InvalidData, NotFound
from ..identity import authorization
from ..identity.actors import SYSTEM, Actor
from ..pagination import Page, clamp_limit, decode_cursor, page_of
from ..persistence.models import Instance
from ..repository.views import definition_summary
from ..timeutil import iso
from .audit import anchor as audit_anchor
from .audit import retention
from .audit import search as audit_search
from .audit import verify as audit_verify
from .audit.search import AuditQuery
from .readable import readable
from .reports import controls, kpis
from .views import event_view


class HistoryService:
    def __init__(self, context: EngineContext) -> None:
        self._ctx = context
        self._audit = context.audit
        self._names: dict[tuple[str, str], dict[str, str]] = {}

    # -- one instance ------------------------------------------------------------------------------
    def instance_history(self, instance_id: str, *, by: Actor, limit: int | None = None,
                         cursor: str | None = None, locale: str | None = None) -> Page:
        """An instance's events in order, for whoever may read the instance. With ``locale``
        each event also reads as people say it (readable.py): a phrase for its type, its
        step's name in that language, the actor's and the owner's display names."""
        authorization.require_instance_reader(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, int)
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id)
            authorization.check_instance_visible(session, by, instance)
            rows = self._audit.history(session, instance_id, int(after[0]) if after else 0, limit + 1)
            page = page_of(rows, limit, event_view, lambda e: (e.event.seq,))
            if locale is None:
                return page
            names = self._element_names(session, instance.definition_id, locale)
            return Page(readable(session, page.items, names, locale), page.next_cursor)

    def _element_names(self, session, definition_id: str, locale: str) -> dict[str, str]:
        """A version's element names in ``locale``, read from its BPMN once (versions never change)."""
        key = (definition_id, locale)
        names = self._names.get(key)
        if names is None:
            definition = self._ctx.definitions.by_id(session, definition_id)
            _file, bpmn = self._ctx.definitions.bpmn(session, definition)
            if len(self._names) > 256:
                self._names.clear()
            names = self._names[key] = element_names(bpmn, locale)
        return names

    def instance_definition(self, instance_id: str, *, by: Actor) -> dict[str, Any]:
        """The exact sources (BPMN, YAML, DMN, forms) of the version an instance ran on."""
        authorization.require_instance_reader(by)
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id)
            authorization.check_instance_visible(session, by, instance)
            definition = self._ctx.definitions.by_id(session, instance.definition_id)
            return {**definition_summary(definition), "instance_id": instance.id,
                    "sources": self._ctx.definitions.sources(session, definition)}

    @staticmethod
    def _instance(session, instance_id: str) -> Instance:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"no instance with id '{instance_id}'")
        return instance

    # -- the audit log -----------------------------------------------------------------------------
    def audit_events(self, *, by: Actor, instance_id: str | None = None, actor: str | None = None,
                     type: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     definition_key: str | None = None, business_key: str | None = None,
                     limit: int | None = None, cursor: str | None = None, document: str | None = None) -> Page:
        """Events matching every filter given; ``document``: any part of a document number the
        instance carries (business key, or a linked record's number: PR, PO, invoice...)."""
        authorization.require_auditor(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, int)
        query = AuditQuery(instance_id, actor, type, definition_key, business_key, since, until, document)
        with self._ctx.transaction() as session:
            rows = self._audit.read(session, query.statement(int(after[0]) if after else None).limit(limit + 1))
            return page_of(rows, limit, event_view, lambda e: (e.event.seq,))

    def export_audit(self, format: str, *, by: Actor, instance_id: str | None = None, actor: str | None = None,
                     type: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     definition_key: str | None = None, business_key: str | None = None,
                     document: str | None = None, bom: bool = False) -> Iterator[str]:
        """Every matching event as CSV or JSON lines, streamed (see audit/search.py).

        Permission is checked here, before the first chunk, so a refusal is a 403 and
        not a broken download."""
        authorization.require_auditor(by)
        query = AuditQuery(instance_id, actor, type, definition_key, business_key, since, until, document)
        return audit_search.export(self._ctx.transaction, self._audit, query, format, event_view, bom)

    def verify_audit(self, *, by: Actor, instance_id: str | None = None) -> dict[str, Any]:
        """Recompute every hash chain, or one instance's (checked against its newest anchor);
        ``ok`` false names the first broken event."""
        authorization.require_auditor(by)
        with self._ctx.transaction() as session:
            return audit_verify.verify(session, instance_id).view()

    def anchor_audit(self, *, by: Actor = SYSTEM) -> int:
        """Anchor the instance chains that moved into the global chain (workers do this)."""
        authorization.require_admin(by, "anchor the audit chains")
        with self._ctx.transaction() as session:
            return audit_anchor.anchor(session, self._audit, by.username)

    def touched_instances(self, username: str, *, by: Actor, limit: int | None = None,
                          cursor: str | None = None) -> Page:
        """The instances a user acted on, with how often and when first and last."""
        authorization.require_auditor(by)
        limit = clamp_limit(limit)
        after = decode_cursor(cursor, str)
        with self._ctx.transaction() as session:
            rows = audit_search.touched_instances(session, username, limit + 1, after)
            return page_of(rows, limit, lambda r: {**r, "first_at": iso(r["first_at"]), "last_at": iso(r["last_at"])},
                           lambda r: (r["instance_id"],))

    # -- reports -----------------------------------------------------------------------------------
    def kpi_report(self, *, by: Actor, definition_key: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> dict[str, Any]:
        authorization.require_report_reader(by)
        with self._ctx.transaction() as session:
            report = kpis.kpi_report(session, self._ctx.clock.now(), definition_key, since, until)
        return values.to_plain(report)

    def controls_report(self, definition_key: str, *, by: Actor, since: datetime | None = None,
                        until: datetime | None = None) -> dict[str, Any]:
        authorization.require_auditor(by)
        with self._ctx.transaction() as session:
            self._ctx.definitions.get(session, definition_key, None)  # 404 for an unknown process
            report = controls.controls_report(session, self._audit, definition_key, since, until)
        return values.to_plain(report)

    # -- retention ---------------------------------------------------------------------------------
    def apply_retention(self, *, by: Actor, days: int | None = None) -> dict[str, Any]:
        """Erase the history payloads of instances finished more than ``days`` ago."""
        authorization.require_admin(by, "apply history retention")
        days = self._ctx.settings.history_retention_days if days is None else days
        if days <= 0:
            raise InvalidData([FieldError("/days", "retention needs a positive number of days "
                                                   "(FLOWDESK_HISTORY_RETENTION_DAYS or days=...)")])
        with self._ctx.transaction() as session:
            return retention.retain(session, self._audit, by.username, self._ctx.clock.now() - timedelta(days=days))

    def erase_instance_history(self, instance_id: str, *, by: Actor, reason: str) -> dict[str, Any]:
        """Erase one finished instance's history payloads (e.g. a lawful erasure request)."""
        authorization.require_admin(by, "erase an instance's history")
        if not reason or not reason.strip():
            raise InvalidData([FieldError("/reason", "an erasure must give its reason")])
        with self._ctx.transaction() as session:
            instance = self._instance(session, instance_id)
            if instance.status not in retention.FINISHED:
                raise Conflict(f"instance {instance_id} is {instance.status}: only finished instances are erased")
            return retention.erase_instance(session, self._audit, by.username, instance, reason.strip())
