"""The conformance runner: do real models deploy and run on Flowdesk?

``flowdesk conformance DIR...`` takes folders of models written for other engines
(Camunda 7 and 8, Flowable, SpiffWorkflow, any BPMN tool) and, folder by folder, on a
fresh in-process Flowdesk (`harness`), through the HTTP API only:

1. deploys every BPMN file of the folder, each with the folder's DMN and form files,
   called processes first (a file whose processes call another file's is deployed after
   it);
2. starts each executable process (by hand, by its message or signal, or by letting its
   timer fire);
3. drives it as a tireless test user would (`driver`): completes user tasks with data
   that satisfies their forms and the gateway conditions that read them (`data`, from
   what `model` reads in the conditions), works external tasks, delivers the messages and
   signals the model waits for, waits for timers (on a fake clock: a run is deterministic
   and never sleeps), follows called processes; a process gets three attempts, each
   trying other branches;
4. reports per file: deployed or not (why), and per process: completed, waiting (where)
   or failed (why), with totals.

`run` returns a `Report`; `Report.table()` is what the command prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the runner's machinery is imported when it runs (the CLI imports this package)
    from .harness import Harness
    from .model import Hints

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
SUPPORT_SUFFIXES = (".dmn", ".form", ".json", ".yaml", ".yml")
ATTEMPTS = 3


@dataclass
class ProcessResult:
    key: str
    status: str  # completed | waiting | failed | not-started | not-deployed
    detail: str = ""
    attempts: int = 0


@dataclass
class FileResult:
    folder: str
    file: str
    deployed: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    processes: list[ProcessResult] = field(default_factory=list)


@dataclass
class Report:
    files: list[FileResult] = field(default_factory=list)

    @property
    def deployed(self) -> int:
        return sum(1 for f in self.files if f.deployed)

    @property
    def processes(self) -> list[ProcessResult]:
        return [p for f in self.files for p in f.processes]

    @property
    def completed(self) -> int:
        return sum(1 for p in self.processes if p.status == "completed")

    def deploy_rate(self) -> float:
        return self.deployed / len(self.files) if self.files else 0.0

    def completion_rate(self) -> float:
        return self.completed / len(self.processes) if self.processes else 0.0

    def table(self) -> str:
        lines = [f"{'file':<58} {'deployed':<9} {'process':<40} result"]
        for result in self.files:
            name = f"{result.folder}/{result.file}"
            first = True
            deployed = "yes" if result.deployed else "NO"
            if not result.processes:
                why = "; ".join(result.problems[:2]) if not result.deployed else "(no executable process)"
                lines.append(f"{name:<58} {deployed:<9} {'-':<40} {why}")
            for process in result.processes:
                shown = process.status + (f": {process.detail}" if process.detail else "")
                lines.append(f"{name if first else '':<58} {deployed if first else '':<9} {process.key[:40]:<40} "
                             f"{shown[:200]}")
                first = False
            if not result.deployed and result.processes:
                lines.append(f"{'':<58} {'':<9} {'':<40} why: {'; '.join(result.problems[:2])[:300]}")
        total_files, total = len(self.files), len(self.processes)
        lines.append("")
        lines.append(f"files deployed: {self.deployed}/{total_files} ({100 * self.deploy_rate():.1f}%)")
        lines.append(f"executable processes completed: {self.completed}/{total} "
                     f"({100 * self.completion_rate():.1f}%)")
        for status in ("waiting", "failed", "not-started", "not-deployed"):
            count = sum(1 for p in self.processes if p.status == status)
            if count:
                lines.append(f"  {status}: {count}")
        return "\n".join(lines)


def folders_of(paths: Iterable[Path]) -> list[Path]:
    """The folders to run: each path, and its sub-folders holding BPMN files."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        candidates = [path, *sorted(p for p in path.rglob("*") if p.is_dir())] if path.is_dir() else []
        for folder in candidates:
            if any(f.name.endswith(BPMN_SUFFIXES) for f in folder.iterdir() if f.is_file()) and folder not in found:
                found.append(folder)
    return found


def run(paths: Iterable[Path], attempts: int = ATTEMPTS,
        progress: Callable[[FileResult], None] | None = None) -> Report:
    report = Report()
    for folder in folders_of(paths):
        for result in run_folder(folder, attempts):
            report.files.append(result)
            if progress is not None:
                progress(result)
    return report


def run_folder(folder: Path, attempts: int = ATTEMPTS) -> list[FileResult]:
    from .harness import Harness
    from .model import read_folder

    files = sorted(p for p in folder.iterdir() if p.is_file())
    models = [p for p in files if p.name.endswith(BPMN_SUFFIXES)]
    support = [p for p in files if p.name.endswith(SUPPORT_SUFFIXES) and not p.name.endswith(BPMN_SUFFIXES)]
    hints = read_folder(models, [p for p in support if p.name.endswith(".dmn")])
    harness = Harness()
    results = []
    try:
        for model in _callees_first(models, hints):
            results.append(_run_file(harness, folder, model, support, hints, attempts))
    finally:
        harness.close()
    order = {p.name: i for i, p in enumerate(models)}
    return sorted(results, key=lambda r: order[r.file])


def _callees_first(models: list[Path], hints: Hints) -> list[Path]:
    defined_in = {key: p.name for p in models for key in hints.defines.get(p.name, ())}
    ordered: list[Path] = []
    by_name = {p.name: p for p in models}

    def visit(path: Path, seen: tuple[str, ...]) -> None:
        if path in ordered or path.name in seen:
            return
        for called in sorted(hints.calls.get(path.name, ())):
            other = defined_in.get(called)
            if other and other != path.name:
                visit(by_name[other], (*seen, path.name))
        ordered.append(path)

    for model in models:
        visit(model, ())
    return ordered


def _run_file(harness: Harness, folder: Path, model: Path, support: list[Path], hints: Hints,
              attempts: int) -> FileResult:
    result = FileResult(folder.name, model.name, deployed=False)
    upload = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (model, *support)]
    response = harness.call("POST", "/deployments", files=upload)
    keys = hints.executable.get(model.name, [])
    if response.status_code != 201:
        try:
            body = response.json()
        except ValueError:
            body = {}
        errors = body.get("errors") or [{"message": body.get("detail") or response.text[:200]}]
        result.problems = [f"{e.get('file') or ''}:{e.get('line') or ''}: {e.get('message')}" for e in errors]
        result.processes = [ProcessResult(key, "not-deployed", "the file did not deploy") for key in keys]
        return result
    result.deployed = True
    body = response.json()
    result.warnings = [f"{w.get('file')}:{w.get('line') or ''}: {w.get('message')}" for w in body.get("warnings", [])]
    for key in keys:
        try:
            result.processes.append(_run_process(harness, model.name, key, hints, attempts))
        except Exception as err:
            result.processes.append(ProcessResult(key, "failed", f"the runner stopped: {type(err).__name__}: {err}"))
    return result


def _run_process(harness: Harness, file: str, key: str, hints: Hints, attempts: int) -> ProcessResult:
    from .driver import Driver, Outcome

    outcome = Outcome("not-started")
    for attempt in range(attempts):
        driver = Driver(harness, hints, attempt)
        instance_id, how = driver.start(file, key)
        if instance_id is None:
            outcome = Outcome("not-started", how)
            continue
        outcome = driver.drive(instance_id)
        if outcome.status == "completed":
            return ProcessResult(key, "completed", "", attempt + 1)
        if outcome.status == "waiting":  # leave nothing waiting for the next attempt's messages
            harness.call("POST", f"/instances/{instance_id}/cancel", json={"reason": "conformance: next attempt"})
    return ProcessResult(key, outcome.status, outcome.detail, attempts)


__all__ = ["FileResult", "ProcessResult", "Report", "folders_of", "run", "run_folder"]
