"""A deployment's files, validated together into runnable processes.

Everything is checked before anything is stored, and every problem is reported at once
with its file and line: XML that does not parse, dialect constructs we cannot run, forms
that are not valid JSON Schema, references to forms, decision tables or called processes
that exist neither in the upload nor among what is already deployed, and whatever
SpiffWorkflow's own parser refuses.

YAML processes and decision tables (see :mod:`.yaml`) are checked with their own lines,
compiled to BPMN and DMN, and from then on handled like uploaded XML; the generated files
join the bundle's files, so the deployment stores them beside their YAML source, and a
problem found in them is reported on the YAML line it comes from.

Each process gets a content hash over everything it uses (its BPMN file, its YAML source,
its forms, the decision tables and, recursively, the called processes as resolved now);
the repository compares it with the latest version to decide whether a new version is due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from lxml import etree

from .. import forms as forms_module
from ..errors import DefinitionInvalid, Problem
from ..runtime import XmlDocument, parse_processes
from .dialects import executable_process_ids, translate_bpmn
from .inspect import inspect_process
from .model import ProcessInfo
from .namespaces import bpmn
from .sources import SourceFile
from .xmldoc import parse_xml
from .yaml import (
    DECISION_KIND,
    PROCESS_KIND,
    DecisionColumns,
    Generated,
    compile_unit,
    form_field_names,
    locate,
    read_unit,
)
from .yaml.context import context_problems
from .yaml.dataflow import dmn_decision_columns


@dataclass(frozen=True)
class DeployedProcess:
    info: ProcessInfo
    content_hash: str
    bpmn: SourceFile


class DeployedLookup(Protocol):
    """What is already deployed, for references an upload does not carry itself."""

    def form_files(self, name: str) -> tuple[SourceFile, SourceFile | None] | None: ...

    def decision_file(self, decision_id: str) -> SourceFile | None: ...

    def process(self, key: str) -> DeployedProcess | None: ...


class NothingDeployed:
    def form_files(self, name: str) -> None:
        return None

    def decision_file(self, decision_id: str) -> None:
        return None

    def process(self, key: str) -> None:
        return None


@dataclass
class CompiledProcess:
    info: ProcessInfo
    spec: dict
    subprocess_specs: dict
    # role -> name -> sha256 of every file this version uses, plus called processes'
    # content hashes; the content hash is taken over this.
    manifest: dict
    content_hash: str
    decisions: dict[str, dict] = field(default_factory=dict)


@dataclass
class Bundle:
    # The uploaded files, then the BPMN/DMN files compiled from YAML ones.
    files: list[SourceFile]
    processes: list[CompiledProcess]
    forms: dict[str, forms_module.Form]


def canonical_hash(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _decision_ids(root: etree._Element) -> list[str]:
    return [el.get("id") for el in root.iter() if etree.QName(el).localname == "decision" and el.get("id")]


def build_bundle(files: Sequence[SourceFile], deployed: DeployedLookup | None = None) -> Bundle:
    deployed = deployed or NothingDeployed()
    problems: list[Problem] = []
    by_kind: dict[str, list[SourceFile]] = {"bpmn": [], "dmn": [], "form": [], "form_ui": [],
                                            PROCESS_KIND: [], DECISION_KIND: []}
    names: set[str] = set()
    for file in files:
        if file.name in names:
            problems.append(Problem(file.name, None, "the upload contains two files with this name"))
            continue
        names.add(file.name)
        if file.kind is None:
            problems.append(Problem(file.name, None, "not a definition file (.bpmn, .dmn, .json, .yaml)"))
            continue
        by_kind[file.kind].append(file)

    # Forms: schema files paired with their UI hints.
    upload_forms: dict[str, forms_module.Form] = {}
    form_sources: dict[str, tuple[SourceFile, SourceFile | None]] = {}
    ui_by_stem = {f.stem: f for f in by_kind["form_ui"]}
    for ui in by_kind["form_ui"]:
        if ui.stem not in {f.stem for f in by_kind["form"]}:
            problems.append(Problem(ui.name, 1, f"UI hints for form '{ui.stem}', but no such form schema"))
    for schema in by_kind["form"]:
        ui = ui_by_stem.get(schema.stem)
        if schema.stem in upload_forms:
            problems.append(Problem(schema.name, 1, f"another file also defines form '{schema.stem}'"))
            continue
        found = forms_module.form_problems(schema.name, schema.content, ui.name if ui else None,
                                           ui.content if ui else None)
        if found:
            problems.extend(found)
            continue
        upload_forms[schema.stem] = forms_module.parse_form(
            schema.name, schema.content, ui.name if ui else None, ui.content if ui else None
        )
        form_sources[schema.stem] = (schema, ui)

    # XML documents.
    bpmn_docs: list[XmlDocument] = []
    dmn_docs: list[XmlDocument] = []
    infos: dict[str, ProcessInfo] = {}
    process_file: dict[str, SourceFile] = {}
    decision_file: dict[str, SourceFile] = {}
    decision_roots: dict[str, etree._Element] = {}

    def add_bpmn(file: SourceFile, found_here: list[Problem]) -> None:
        root, found = parse_xml(file.name, file.content)
        found_here.extend(found)
        if root is None:
            return
        if root.tag != bpmn("definitions"):
            found_here.append(Problem(file.name, root.sourceline, "not a BPMN 2.0 document (no bpmn:definitions root)"))
            return
        found_here.extend(translate_bpmn(file.name, root))
        bpmn_docs.append(XmlDocument(file.name, root))
        ids = executable_process_ids(root)
        if not ids:
            found_here.append(Problem(file.name, root.sourceline, "no executable process in this file"))
        for process in root.findall(bpmn("process")):
            key = process.get("id")
            if key not in ids:
                continue
            if key in infos:
                found_here.append(Problem(file.name, process.sourceline,
                                          f"process '{key}' is also defined in "
                                          f"{_shown(process_file[key], generated)}"))
                continue
            infos[key] = inspect_process(file.name, process, found_here)
            process_file[key] = file

    def add_dmn(file: SourceFile, found_here: list[Problem]) -> None:
        root, found = parse_xml(file.name, file.content)
        found_here.extend(found)
        if root is None:
            return
        dmn_docs.append(XmlDocument(file.name, root))
        for decision_id in _decision_ids(root):
            if decision_id in decision_file:
                found_here.append(Problem(file.name, None, f"decision '{decision_id}' is also defined in "
                                                           f"{_shown(decision_file[decision_id], generated)}"))
            decision_file[decision_id] = file
            decision_roots[decision_id] = root

    generated: dict[str, Generated] = {}
    for file in by_kind["bpmn"]:
        add_bpmn(file, problems)
    for file in by_kind["dmn"]:
        add_dmn(file, problems)

    # YAML processes and decision tables: checked against the rest of the deployment, then
    # compiled and added like the XML above, their problems moved to their YAML lines.
    units = [read_unit(file) for file in (*by_kind[PROCESS_KIND], *by_kind[DECISION_KIND])]
    references = _References(upload_forms, form_sources, deployed, decision_roots, infos, units)
    for unit in units:
        problems.extend(unit.problems)
        found = context_problems(unit.process, references) if unit.process is not None else []
        problems.extend(found)
        if unit.problems or found:
            continue
        for output in compile_unit(unit):
            if output.file.name in names:
                problems.append(Problem(unit.file.name, 1, f"compiles to {output.file.name}, which is also a file "
                                                            "of this upload; deploy one or the other"))
                continue
            names.add(output.file.name)
            generated[output.file.name] = output
            found_here: list[Problem] = []
            (add_bpmn if output.file.name.endswith(".bpmn") else add_dmn)(output.file, found_here)
            problems.extend(locate(output, p) if p.file == output.file.name else p for p in found_here)
    for key, file in process_file.items():
        if file.name in generated:  # a YAML process: its problems are reported on YAML lines
            source = generated[file.name]
            infos[key] = replace(infos[key], file=source.source.name, service_tasks={
                task_id: {**task, "line": source.element_lines.get(task_id, 1)}
                for task_id, task in infos[key].service_tasks.items()
            })

    # References the upload does not carry are looked up among deployed definitions.
    external_bpmn: dict[str, XmlDocument] = {}
    external_procs: dict[str, DeployedProcess] = {}
    for key, info in infos.items():
        line_file = info.file
        for task in info.human_tasks.values():
            for ref in (task.form, task.ui_form):
                if ref and ref not in upload_forms and not _load_deployed_form(ref, deployed, upload_forms,
                                                                               form_sources):
                    problems.append(Problem(line_file, None, f"task '{task.element_id}' uses form '{ref}', "
                                                             "which is neither in this deployment nor deployed"))
        for ref in (info.start_form, info.start_ui_form):
            if ref and ref not in upload_forms and not _load_deployed_form(ref, deployed, upload_forms,
                                                                           form_sources):
                problems.append(Problem(line_file, None, f"start event of '{key}' uses form '{ref}', which is "
                                                         "neither in this deployment nor deployed"))
        for decision_id in info.decision_refs:
            if decision_id in decision_file:
                continue
            file = deployed.decision_file(decision_id)
            if file is None:
                problems.append(Problem(line_file, None, f"process '{key}' uses decision '{decision_id}', "
                                                         "which is neither in this deployment nor deployed"))
                continue
            root, found = parse_xml(file.name, file.content)
            if root is not None:
                dmn_docs.append(XmlDocument(file.name, root))
                decision_file[decision_id] = file
        for called in info.called_keys:
            if called in infos or called in external_procs:
                continue
            found_proc = deployed.process(called)
            if found_proc is None:
                problems.append(Problem(line_file, None, f"process '{key}' calls '{called}', which is "
                                                         "neither in this deployment nor deployed"))
                continue
            root, found = parse_xml(found_proc.bpmn.name, found_proc.bpmn.content)
            if root is not None:
                translate_bpmn(found_proc.bpmn.name, root)
                external_bpmn[found_proc.bpmn.name] = XmlDocument(found_proc.bpmn.name, root)
                external_procs[called] = found_proc
    if problems:
        raise DefinitionInvalid(problems)

    try:
        parsed = parse_processes(bpmn_docs, dmn_docs, list(infos), context=list(external_bpmn.values()))
    except DefinitionInvalid as err:
        raise DefinitionInvalid([locate(generated[p.file], p) if p.file in generated else p
                                 for p in err.problems]) from None

    hashes: dict[str, str] = {}

    def content_hash(key: str, seen: tuple[str, ...] = ()) -> str:
        if key in external_procs:
            return external_procs[key].content_hash
        if key in hashes:
            return hashes[key]
        info = infos[key]
        forms_used = sorted({f for t in info.human_tasks.values() for f in (t.form, t.ui_form) if f}
                            | {f for f in (info.start_form, info.start_ui_form) if f})
        manifest = {
            "bpmn": {process_file[key].name: process_file[key].sha256},
            "forms": {
                name: [form_sources[name][0].sha256, form_sources[name][1].sha256 if form_sources[name][1] else None]
                for name in forms_used
            },
            "dmn": {decision_file[d].name: decision_file[d].sha256 for d in info.decision_refs},
            "calls": {
                called: (content_hash(called, (*seen, key)) if called not in seen else "recursive")
                for called in info.called_keys
            },
        }
        source = generated.get(process_file[key].name)
        if source is not None:
            manifest["yaml"] = {source.source.name: source.source.sha256}
        decision_sources = {generated[decision_file[d].name].source for d in info.decision_refs
                            if decision_file[d].name in generated}
        if decision_sources - ({source.source} if source else set()):
            manifest["decision_yaml"] = {f.name: f.sha256 for f in sorted(decision_sources, key=lambda f: f.name)}
        manifests[key] = manifest
        hashes[key] = canonical_hash(manifest)
        return hashes[key]

    manifests: dict[str, dict] = {}
    compiled = []
    for key, info in infos.items():
        digest = content_hash(key)
        compiled.append(
            CompiledProcess(
                info=info,
                spec=parsed[key].spec,
                subprocess_specs=parsed[key].subprocess_specs,
                manifest=manifests[key],
                content_hash=digest,
                decisions={d: {"file": decision_file[d].name, "sha256": decision_file[d].sha256}
                           for d in info.decision_refs},
            )
        )
    return Bundle(files=[*files, *(g.file for g in generated.values())], processes=compiled, forms=upload_forms)


def _shown(file: SourceFile, generated: dict[str, Generated]) -> str:
    """A file's name as the designer knows it (a compiled file by its YAML source)."""
    return generated[file.name].source.name if file.name in generated else file.name


class _References:
    """What YAML processes may reference, for `context_problems`: the upload's forms,
    decision tables and processes (XML and YAML), then what is deployed."""

    def __init__(self, forms: dict, form_sources: dict, deployed: DeployedLookup,
                 decision_roots: dict[str, etree._Element], infos: dict[str, ProcessInfo], units: list) -> None:
        self.forms, self.form_sources, self.deployed = forms, form_sources, deployed
        self.decision_roots = decision_roots
        self.yaml_decisions = {t.id: DecisionColumns(tuple(i.expression for i in t.inputs),
                                                     tuple(o.name for o in t.outputs))
                               for unit in units for t in unit.decisions}
        self.process_keys = set(infos) | {unit.process.key for unit in units if unit.process is not None}
        self.deployed_decisions: dict[str, DecisionColumns | None] = {}

    def form_fields(self, name: str) -> frozenset[str] | None:
        if name not in self.forms and not _load_deployed_form(name, self.deployed, self.forms, self.form_sources):
            return None
        return form_field_names(self.forms[name].schema)

    def decision(self, decision_id: str) -> DecisionColumns | None:
        if decision_id in self.yaml_decisions:
            return self.yaml_decisions[decision_id]
        if decision_id in self.decision_roots:
            return dmn_decision_columns(self.decision_roots[decision_id], decision_id)
        if decision_id not in self.deployed_decisions:
            file = self.deployed.decision_file(decision_id)
            root = parse_xml(file.name, file.content)[0] if file is not None else None
            self.deployed_decisions[decision_id] = (dmn_decision_columns(root, decision_id)
                                                    if root is not None else None)
        return self.deployed_decisions[decision_id]

    def has_process(self, key: str) -> bool:
        return key in self.process_keys or self.deployed.process(key) is not None


def _load_deployed_form(name: str, deployed: DeployedLookup, forms: dict, sources: dict) -> bool:
    found = deployed.form_files(name)
    if found is None:
        return False
    schema, ui = found
    forms[name] = forms_module.parse_form(schema.name, schema.content, ui.name if ui else None,
                                          ui.content if ui else None)
    sources[name] = (schema, ui)
    return True
