"""Which sections a user's roles open: the header's links and where each user lands.

This only decides what to *offer*; every page still calls the engine, which refuses what
a role may not do (a hidden link is a convenience, never the protection).
"""

from __future__ import annotations

from flowdesk.engine.errors import Forbidden
from flowdesk.engine.identity import Actor, authorization


def N_(message: str) -> str:
    """Marks a message for extraction (``pybabel extract -k N_``); translated where shown."""
    return message


def may_read_kpis(actor: Actor) -> bool:
    try:
        authorization.require_report_reader(actor)
    except Forbidden:
        return False
    return True


def may_read_operations(actor: Actor) -> bool:
    try:
        authorization.require_operations_reader(actor)
    except Forbidden:
        return False
    return True


def may_work_on_tasks(actor: Actor) -> bool:
    return authorization.is_employee(actor) or authorization.has_role(actor, authorization.ADMIN,
                                                                      authorization.DESIGNER)


def home(actor: Actor) -> str:
    """Where a user lands: the inbox, or for roles without one their first section."""
    links = [path for path, _label in navigation(actor)]
    return links[0] if links else "/docs"


def navigation(actor: Actor | None) -> list[tuple[str, str]]:
    """(path, message id) of the sections the user's roles may use."""
    if actor is None:
        return []
    links: list[tuple[str, str]] = []
    if may_work_on_tasks(actor):
        links += [("/", N_("Inbox")), ("/processes", N_("Start a request")), ("/requests", N_("My requests"))]
    if authorization.has_role(actor, authorization.DESIGNER, authorization.ADMIN):
        links += [("/definitions", N_("Definitions")), ("/definitions/upload", N_("Deploy"))]
    if authorization.has_role(actor, authorization.AUDITOR, authorization.ADMIN):
        links += [("/audit/instances", N_("Instances")), ("/audit", N_("Audit trail"))]
    if may_read_operations(actor):
        links += [("/operations/incidents", N_("Incidents")), ("/operations/jobs", N_("Jobs"))]
    if authorization.has_role(actor, authorization.AUDITOR, authorization.ADMIN):
        links += [("/audit/instances?status=suspended", N_("Suspended instances")),
                  ("/reports/controls", N_("Controls report"))]
    if authorization.may_read_directory(actor):
        links.append(("/users", N_("Users")))
    if authorization.has_role(actor, authorization.ADMIN):
        links.append(("/webhooks", N_("Webhooks")))
    if may_read_kpis(actor):
        links.append(("/reports/kpis", N_("KPI reports")))
    return links
