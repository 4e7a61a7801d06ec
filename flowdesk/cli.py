"""The ``flowdesk`` command.

Exit codes: 0 success, 1 invalid input or failed validation, 2 wrong usage. Definition
problems print as ``FILE:LINE: message`` on standard error; every command that prints
data has ``--json``. A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from flowdesk.cli_operations import register as _register_operations
from flowdesk.cli_support import JsonFlag, UserOption, _engine, _err, _fail_on_errors, _parse_data, _print, _table
from flowdesk.cli_users import users_app
from flowdesk.conformance.cli import conformance as _conformance_command
from flowdesk.engine import values
from flowdesk.engine.config import Settings
from flowdesk.engine.errors import BadRequest, DefinitionInvalid, FlowdeskError, NotFound
from flowdesk.engine.identity import SYSTEM

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Flowdesk: a process engine for ERP and CRM work.")
instances_app = typer.Typer(no_args_is_help=True, help="Start and inspect process instances.")
tasks_app = typer.Typer(no_args_is_help=True, help="Work through task inboxes.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
audit_app = typer.Typer(no_args_is_help=True, help="Verify, export and retain the audit trail.")
definitions_app = typer.Typer(no_args_is_help=True, help="Suspend and resume process definitions.")
app.add_typer(users_app, name="users")
app.add_typer(instances_app, name="instances")
app.add_typer(tasks_app, name="tasks")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(definitions_app, name="definitions")

# Other engines' models through Flowdesk, folder by folder (flowdesk/conformance).
app.command("conformance")(_conformance_command)


# -- server and definitions --------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Web worker processes.")] = None,
    demo: Annotated[bool, typer.Option(help="Create demo users (and seed data) on start.")] = False,
    worker: Annotated[bool, typer.Option("--worker/--no-worker",
                                         help="Run background work (timers, service calls) in this "
                                              "process; turn off when celery workers do it.")] = True,
) -> None:
    """Run the API server: brings the schema up to date and deploys the configured definitions.

    On PostgreSQL it runs one web worker process per core (SQLite: one); --workers or
    FLOWDESK_WORKERS choose another number."""
    from flowdesk.api.app import prepare
    from flowdesk.api.server import ServeOptions
    from flowdesk.api.server import serve as run_server
    from flowdesk.engine.logs import configure_logging
    from flowdesk.engine.tuning import tune_process

    if demo and "FLOWDESK_TIME_SCALE" not in os.environ:
        from flowdesk.api.demo import DEMO_TIME_SCALE

        # Set in the environment so that web worker processes see it too.
        os.environ["FLOWDESK_TIME_SCALE"] = str(DEMO_TIME_SCALE)
    settings = Settings.from_env()
    if workers is not None and workers < 1:
        _err(f"error: --workers must be 1 or more, got {workers}")
        raise typer.Exit(2)
    configure_logging(settings.log_format)
    tune_process(settings)  # inherited by forked web workers
    summary = _fail_on_errors(prepare)(settings, demo=demo)
    for line in summary:
        typer.echo(line)
    options = ServeOptions(host=host or settings.host, port=port or settings.port,
                           processes=workers or settings.serve_processes(), background=worker)
    status = run_server(settings, options, announce=typer.echo)
    if status:
        raise typer.Exit(status)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Celery worker processes.")] = 2,
    dispatcher: Annotated[bool, typer.Option("--dispatcher/--no-dispatcher",
                                             help="Also send due jobs to the broker.")] = True,
) -> None:
    """Run background work: celery workers (plus the dispatcher) when FLOWDESK_BROKER_URL is
    set, otherwise a standalone embedded worker."""
    settings = Settings.from_env()
    from flowdesk.engine.jobs import supervision
    from flowdesk.engine.jobs.executor import JobExecutor
    from flowdesk.engine.logs import configure_logging
    from flowdesk.engine.process_engine import ProcessEngine
    from flowdesk.engine.tuning import tune_process

    if settings.broker_url and (problem := supervision.broker_problem(settings.broker_url)):
        _err(f"error: {problem}")
        raise typer.Exit(supervision.EXIT_BAD_CONFIGURATION)
    configure_logging(settings.log_format)
    tune_process(settings)  # before celery forks its pool: the children inherit it
    engine = _fail_on_errors(ProcessEngine)(settings, migrate=True)
    executor = JobExecutor(engine.context)
    watchdog = supervision.DatabaseWatchdog(lambda: engine.management.health()["status"] == "ok",
                                            settings.worker_database_patience_seconds)
    watchdog.start()
    if not settings.broker_url:
        import time

        from flowdesk.engine.jobs.worker import EmbeddedWorker

        background = EmbeddedWorker(executor, kind="standalone")
        background.start()
        typer.echo(f"worker {executor.worker_id} running jobs from the database (no broker configured); ready")
        try:
            while not watchdog.gave_up:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        background.stop()
        if watchdog.gave_up:
            raise typer.Exit(supervision.EXIT_DATABASE_GONE)
        return

    from flowdesk.engine.jobs.celery_app import Dispatcher, make_celery, run_celery_worker

    # Celery forks its pool after this process opened database connections; a child must
    # not use (or close) the parent's sockets.
    os.register_at_fork(after_in_child=lambda: engine.db.engine.dispose(close=False))
    celery = make_celery(settings.broker_url, settings.celery_queue, lambda: JobExecutor(engine.context))
    feeder = Dispatcher(executor, celery) if dispatcher else None
    if feeder is not None:
        feeder.start()
    typer.echo(f"celery worker on {settings.broker_url}" + (" with dispatcher" if feeder else ""))
    code = run_celery_worker(celery, ["worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                                      "--pool=prefork", f"--queues={settings.celery_queue}", "--without-gossip",
                                      "--without-mingle", f"--hostname=flowdesk@{executor.worker_id}"])
    if watchdog.gave_up:
        raise typer.Exit(supervision.EXIT_DATABASE_GONE)
    if code:  # celery stopped on an error it could not recover from: say so with the status
        _err(f"error: the celery worker stopped with status {code}")
        raise typer.Exit(code)


@app.command()
@_fail_on_errors
def validate(paths: Annotated[list[Path], typer.Argument(help="Files or folders.")], as_json: JsonFlag = False) -> None:
    """Check definition files; print every problem as FILE:LINE: message."""
    engine = _engine()
    infos = engine.repository.validate(paths, by=SYSTEM)
    for w in getattr(infos, "warnings", []):  # accepted but inert or approximated
        typer.echo(f"{w.file}:{w.line or ''}: warning: {w.message}", err=True)
    _print([{"key": i.key, "name": i.name, "file": i.file} for i in infos], as_json,
           lambda rows: typer.echo("\n".join(f"ok: {r['key']} ({r['file']})" for r in rows)))


@app.command()
@_fail_on_errors
def deploy(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders.")],
    as_json: JsonFlag = False,
    as_user: Annotated[str | None, typer.Option(
        "--as", metavar="USER", help="Who deploys, for the audit trail (default: your OS user). A Flowdesk "
                                     "user named here deploys with their own rights; any other name is "
                                     "recorded as the operator.")]
    = None,
) -> None:
    """Deploy definition files as one deployment (all or nothing)."""
    engine = _engine()
    by, operator = SYSTEM, as_user or _os_user()  # the engine deploys, on behalf of this person
    if as_user is not None:
        with contextlib.suppress(NotFound):
            by, operator = engine.identity.actor(as_user), None  # a Flowdesk user: with their own rights
    result = engine.repository.deploy(paths, by=by, operator=operator)
    rows = [{"key": d.key, "version": d.version, "new": d.created} for d in result.definitions]
    _print({"id": result.id, "deployed_at": result.deployed_at.isoformat(), "definitions": rows}, as_json,
           lambda v: _table(v["definitions"], ["key", "version", "new"]))


def _os_user() -> str:
    """The operating-system account running the command (what a deployment is attributed to)."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return SYSTEM.username
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", name)[:150] or SYSTEM.username  # "DOMAIN\\jane" -> "DOMAIN_jane"


@app.command("compile")
@_fail_on_errors
def compile_yaml(
    file: Annotated[Path, typer.Argument(help="A YAML process or decision table.", exists=True, dir_okay=False,
                                         metavar="FILE.yaml")],
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="OUT.bpmn",
                                                help="Write here instead of to standard output.")]
    = None,
) -> None:
    """Compile a YAML process to BPMN 2.0 with its diagram (a YAML decision table to DMN).

    Checks the file alone (validate and deploy also check forms, decisions and called processes).

    Decision tables written inside a process file go beside OUT.bpmn as NAME.dmn (with -o only).
    """
    from flowdesk.engine.definitions.sources import SourceFile
    from flowdesk.engine.definitions.yaml import DECISION_KIND, PROCESS_KIND, compile_source
    from flowdesk.engine.errors import Problem

    source = SourceFile(str(file), file.read_bytes())
    if source.kind not in (PROCESS_KIND, DECISION_KIND):
        raise DefinitionInvalid([Problem(str(file), 1, "not a YAML process or decision table "
                                                       "(no top-level `process:` or `decision:` key)")])
    compiled, *decisions = compile_source(source)
    if output is None:
        typer.echo(compiled.file.content.decode("utf-8"), nl=False)
        for extra in decisions:
            _err(f"note: decision table {extra.file.name} is written only with -o")
        return
    try:
        output.write_bytes(compiled.file.content)
        for extra in decisions:
            (output.parent / extra.file.name).write_bytes(extra.file.content)
    except OSError as err:
        raise FlowdeskError(f"cannot write {err.filename}: {err.strerror}") from None
    for written in (output, *(output.parent / extra.file.name for extra in decisions)):
        _err(f"wrote {written}")


# -- instances ---------------------------------------------------------------------------------
@instances_app.command("start")
@_fail_on_errors
def instances_start(
    key: str,
    data: Annotated[str, typer.Option(help="Start data as a JSON object.")] = "{}",
    user: Annotated[str, typer.Option("--user", "-u", help="Start as this user.")] = "system",
    business_key: Annotated[str | None, typer.Option(help="A business key, e.g. PO-1001.")] = None,
    version: Annotated[int | None, typer.Option(help="Definition version (default: latest).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Start an instance of a process."""
    engine = _engine()
    instance = engine.instances.start_instance(key, _parse_data(data), by=engine.identity.actor(user),
                                               business_key=business_key, version=version)
    _print(instance, as_json, _render_instance)


@instances_app.command("show")
@_fail_on_errors
def instances_show(instance_id: str, as_json: JsonFlag = False) -> None:
    """Show an instance with its open tasks."""
    _print(_engine().instances.get_instance(instance_id, by=SYSTEM), as_json, _render_instance)


@instances_app.command("history")
@_fail_on_errors
def instances_history(instance_id: str, as_json: JsonFlag = False) -> None:
    """Show the audit events of an instance, in order."""
    events = _engine().history.instance_history(instance_id, by=SYSTEM, limit=500).items
    _print(events, as_json, lambda rows: _table(rows, ["seq", "at", "type", "actor", "element_id"]))


def _render_instance(instance: dict) -> None:
    typer.echo(f"instance {instance['id']}  {instance['definition_key']} v{instance['definition_version']}  "
               f"{instance['status']}")
    if instance["open_tasks"]:
        _table(instance["open_tasks"], ["id", "name", "assignee", "candidate_groups", "due_at"])


# -- tasks -------------------------------------------------------------------------------------
@tasks_app.command("list")
@_fail_on_errors
def tasks_list(user: UserOption, as_json: JsonFlag = False) -> None:
    """List a user's inbox: their tasks and their groups' unassigned tasks."""
    engine = _engine()
    tasks = engine.tasks.inbox(by=engine.identity.actor(user)).items
    _print(tasks, as_json, lambda rows: _table(rows, ["id", "name", "definition_key", "business_key",
                                                      "assignee", "due_at", "priority"]))


@tasks_app.command("claim")
@_fail_on_errors
def tasks_claim(task_id: str, user: UserOption, as_json: JsonFlag = False) -> None:
    """Take a task so that nobody else works on it."""
    engine = _engine()
    _print(engine.tasks.claim_task(task_id, by=engine.identity.actor(user)), as_json,
           lambda t: typer.echo(f"{t['name']} is now assigned to {t['assignee']}"))


@tasks_app.command("unclaim")
@_fail_on_errors
def tasks_unclaim(task_id: str, user: UserOption, as_json: JsonFlag = False) -> None:
    """Give a claimed task back to its candidate groups."""
    engine = _engine()
    _print(engine.tasks.unclaim_task(task_id, by=engine.identity.actor(user)), as_json,
           lambda t: typer.echo(f"{t['name']} is unassigned"))


@tasks_app.command("complete")
@_fail_on_errors
def tasks_complete(
    task_id: str,
    user: UserOption,
    data: Annotated[str, typer.Option(help="Form data as a JSON object.")] = "{}",
    as_json: JsonFlag = False,
) -> None:
    """Complete a task with form data; the process runs on to its next wait state."""
    engine = _engine()
    result = engine.tasks.complete_task(task_id, _parse_data(data), by=engine.identity.actor(user))

    def render(value: dict) -> None:
        typer.echo(f"completed {value['task']['name']}")
        _render_instance(value["instance"])

    _print(result, as_json, render)


# -- audit -------------------------------------------------------------------------------------
@audit_app.command("verify")
@_fail_on_errors
def audit_verify(
    as_json: JsonFlag = False,
    instance_id: Annotated[str | None, typer.Option("--instance", help="Only this instance's chain.")] = None,
) -> None:
    """Recompute every hash chain; exit 1 and name the first broken event if one was
    edited, deleted or reordered."""
    result = _engine().history.verify_audit(by=SYSTEM, instance_id=instance_id)
    if as_json:
        typer.echo(values.dumps(result, indent=2))
    elif result["ok"]:
        typer.echo(f"ok: {result['events']} events in {result['chains']} chains, {result['anchors']} anchors, "
                   f"{result['erased_payloads']} payloads erased by retention")
        typer.echo(f"global head: {result['global_head']}")
    else:
        _err(f"BROKEN: first bad event seq {result['first_bad_seq']}: {result['reason']}")
        for problem in result["problems"][1:10]:
            _err(f"  seq {problem['seq']} ({problem['chain_id']}): {problem['detail']}")
        if result["problem_count"] > 10:
            _err(f"  ... {result['problem_count'] - 10} more")
    if not result["ok"]:
        raise typer.Exit(1)


@audit_app.command("export")
@_fail_on_errors
def audit_export(
    format: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default stdout.")] = None,
    instance_id: Annotated[str | None, typer.Option("--instance")] = None,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    type: Annotated[str | None, typer.Option("--type")] = None,
    definition_key: Annotated[str | None, typer.Option("--definition")] = None,
    business_key: Annotated[str | None, typer.Option("--business-key")] = None,
    document: Annotated[str | None, typer.Option(
        "--document", help="Any part of a document number an instance carries: business key, PR, PO, goods "
                           "receipt, invoice or case number.")] = None,
    bom: Annotated[bool, typer.Option("--bom", help="CSV: start with a UTF-8 byte-order mark (for Excel).")]
    = False,
) -> None:
    """Stream the matching events as CSV or JSON lines; exit 1 when no event matched."""
    if format not in ("csv", "jsonl"):
        raise BadRequest(f"--format must be csv or jsonl, not {format!r}")
    chunks = _engine().history.export_audit(format, by=SYSTEM, instance_id=instance_id, actor=actor, type=type,
                                            definition_key=definition_key, business_key=business_key,
                                            document=document, bom=bom)
    head = next(chunks)  # the CSV header (and BOM), or nothing for JSON lines
    first = next(chunks, None)
    if first is None:
        asked = {"--instance": instance_id, "--actor": actor, "--type": type, "--definition": definition_key,
                 "--business-key": business_key, "--document": document}
        said = ", ".join(f"{flag} {value}" for flag, value in asked.items() if value) or "no filter"
        raise NotFound(f"no audit event matched ({said}); nothing was written")
    out = output.open("w", encoding="utf-8", newline="") if output is not None else sys.stdout
    try:
        out.write(head)
        out.write(first)
        for chunk in chunks:
            out.write(chunk)
    finally:
        if output is not None:
            out.close()


@audit_app.command("anchor")
@_fail_on_errors
def audit_anchor() -> None:
    """Anchor the instance chains that moved into the global chain now (workers do this every second)."""
    typer.echo(f"anchored {_engine().history.anchor_audit()} chains")


@audit_app.command("retain")
@_fail_on_errors
def audit_retain(days: Annotated[int | None, typer.Option(
        "--days", help="Finished more than this many days ago; default FLOWDESK_HISTORY_RETENTION_DAYS.")] = None,
) -> None:
    """Erase history payloads of long-finished instances (audited; the chain still verifies)."""
    result = _engine().history.apply_retention(by=SYSTEM, days=days)
    typer.echo(f"erased {result['payloads_erased']} payloads of {result['instances']} instances "
               f"finished before {result['ended_before']}")


# -- database ----------------------------------------------------------------------------------
@db_app.command("upgrade")
@_fail_on_errors
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    engine = _engine(migrate=True)
    typer.echo(f"schema is up to date ({engine.db.engine.url.render_as_string(hide_password=True)})")


_register_operations(instances_app, definitions_app, engine=_engine, guard=_fail_on_errors, show=_print)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
