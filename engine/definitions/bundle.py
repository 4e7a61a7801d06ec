"""A deployment's files, validated together into runnable processes.

Everything is checked before anything is stored, and every problem is reported at once
with its file and line: XML that does not parse, dialect constructs we cannot run, forms
that are not valid JSON Schema, references to forms, decision tables or called processes
that exist neither in the upload nor among what is already deployed, and whatever
SpiffWorkflow's own parser refuses.

Each process gets a content hash over everything it uses (its BPMN file, its forms, the
decision tables and, recursively, the called processes as resolved now); the repository
compares it with the latest version to decide whether a new version is due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    by_kind: dict[str, list[SourceFile]] = {"bpmn": [], "dmn": [], "form": [], "form_ui": []}
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
    for file in by_kind["bpmn"]:
        root, found = parse_xml(file.name, file.content)
        problems.extend(found)
        if root is None:
            continue
        if root.tag != bpmn("definitions"):
            problems.append(Problem(file.name, root.sourceline, "not a BPMN 2.0 document (no bpmn:definitions root)"))
            continue
        problems.extend(translate_bpmn(file.name, root))
        bpmn_docs.append(XmlDocument(file.name, root))
        ids = executable_process_ids(root)
        if not ids:
            problems.append(Problem(file.name, root.sourceline, "no executable process in this file"))
        for process in root.findall(bpmn("process")):
            key = process.get("id")
            if key not in ids:
                continue
            if key in infos:
                problems.append(Problem(file.name, process.sourceline,
                                        f"process '{key}' is also defined in {process_file[key].name}"))
                continue
            infos[key] = inspect_process(file.name, process, problems)
            process_file[key] = file
    for file in by_kind["dmn"]:
        root, found = parse_xml(file.name, file.content)
        problems.extend(found)
        if root is None:
            continue
        dmn_docs.append(XmlDocument(file.name, root))
        for decision_id in _decision_ids(root):
            if decision_id in decision_file:
                problems.append(Problem(file.name, None, f"decision '{decision_id}' is also defined in "
                                                         f"{decision_file[decision_id].name}"))
            decision_file[decision_id] = file

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

    parsed = parse_processes(bpmn_docs, dmn_docs, list(infos), context=list(external_bpmn.values()))

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
    return Bundle(files=list(files), processes=compiled, forms=upload_forms)


def _load_deployed_form(name: str, deployed: DeployedLookup, forms: dict, sources: dict) -> bool:
    found = deployed.form_files(name)
    if found is None:
        return False
    schema, ui = found
    forms[name] = forms_module.parse_form(schema.name, schema.content, ui.name if ui else None,
                                          ui.content if ui else None)
    sources[name] = (schema, ui)
    return True
