"""A deployment's files through one stage after another into runnable, hashed processes.

Everything is checked before anything is stored, and every problem is reported at once
with its file and line. The stages, each a function below, in the order a deployment
runs them:

1. :func:`sort_files`: names and kinds (BPMN, DMN, forms and their UI hints, YAML).
2. :func:`read_forms`: form schemas paired with their UI hints, checked.
3. :func:`parse_documents`: every BPMN and DMN file parsed to XML, once.
4. :func:`compile_yaml`: YAML processes and decision tables checked against the rest of
   the deployment, then compiled to BPMN and DMN documents that join the others.
5. :func:`translate_dialects`: Camunda constructs rewritten into what SpiffWorkflow runs.
6. :func:`inspect_processes`: what Flowdesk needs to know of each executable process
   (tasks, forms, lanes, rules, decisions and calls).
7. :func:`resolve_references`: forms, decision tables and called processes the upload
   names but does not carry, looked up among what is deployed.
8. :func:`parse_specs`: SpiffWorkflow's parser builds the specs that will run.
9. :func:`hash_versions`: each process's manifest of what it uses, and its content hash.

A problem in a file compiled from YAML is reported on the YAML line it comes from
(:func:`_on_yaml_lines`), once, when the problems are raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lxml import etree

from .. import forms as forms_module
from ..errors import DefinitionInvalid, Problem
from ..runtime import ParsedProcess, XmlDocument, parse_processes
from .bundle import Bundle, CompiledProcess, DeployedLookup, DeployedProcess, NothingDeployed, canonical_hash
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

XML_KINDS = ("bpmn", "dmn")


def build_bundle(files: Sequence[SourceFile], deployed: DeployedLookup | None = None) -> Bundle:
    """Run every stage; :class:`DefinitionInvalid` with all problems when any stage found one."""
    deployed = deployed or NothingDeployed()
    problems: list[Problem] = []
    upload = sort_files(files, problems)
    forms = read_forms(upload, problems)
    documents = parse_documents(upload, problems)
    generated = compile_yaml(upload, forms, documents, deployed, problems)
    translate_dialects(documents, problems)
    processes = inspect_processes(documents, generated, problems)
    references = resolve_references(processes, forms, documents, deployed, problems)
    if problems:
        raise DefinitionInvalid(_on_yaml_lines(problems, generated))
    try:
        specs = parse_specs(documents, processes, references)
    except DefinitionInvalid as err:
        raise DefinitionInvalid(_on_yaml_lines(err.problems, generated)) from None
    compiled = hash_versions(processes, specs, forms, documents, references, generated)
    return Bundle(files=[*files, *(g.file for g in generated.values())], processes=compiled, forms=forms.parsed)


# -- 1. names and kinds -------------------------------------------------------------------------
@dataclass
class Upload:
    by_kind: dict[str, list[SourceFile]]
    names: set[str]


def sort_files(files: Sequence[SourceFile], problems: list[Problem]) -> Upload:
    by_kind: dict[str, list[SourceFile]] = {kind: [] for kind in (*XML_KINDS, "form", "form_ui",
                                                                   PROCESS_KIND, DECISION_KIND)}
    names: set[str] = set()
    for file in files:
        if file.name in names:
            problems.append(Problem(file.name, None, "the upload contains two files with this name"))
            continue
        names.add(file.name)
        if file.kind is None:
            problems.append(Problem(file.name, None, "not a definition file (.bpmn, .dmn, .json, .form, .yaml)"))
            continue
        by_kind[file.kind].append(file)
    return Upload(by_kind, names)


# -- 2. forms -----------------------------------------------------------------------------------
@dataclass
class FormSet:
    """The forms a deployment knows: parsed, with the files they came from."""

    parsed: dict[str, forms_module.Form] = field(default_factory=dict)
    sources: dict[str, tuple[SourceFile, SourceFile | None]] = field(default_factory=dict)

    def knows(self, name: str, deployed: DeployedLookup) -> bool:
        """Whether form ``name`` is in the upload or deployed (then it is read once)."""
        if name in self.parsed:
            return True
        found = deployed.form_files(name)
        if found is None:
            return False
        schema, ui = found
        self.parsed[name] = forms_module.parse_form(schema.name, schema.content, ui.name if ui else None,
                                                    ui.content if ui else None)
        self.sources[name] = (schema, ui)
        return True


def read_forms(upload: Upload, problems: list[Problem]) -> FormSet:
    forms = FormSet()
    schemas = upload.by_kind["form"]
    ui_by_stem = {f.stem: f for f in upload.by_kind["form_ui"]}
    stems = {f.stem for f in schemas}
    for ui in upload.by_kind["form_ui"]:
        if ui.stem not in stems:
            problems.append(Problem(ui.name, 1, f"UI hints for form '{ui.stem}', but no such form schema"))
    for schema in schemas:
        ui = ui_by_stem.get(schema.stem)
        if schema.stem in forms.parsed:
            problems.append(Problem(schema.name, 1, f"another file also defines form '{schema.stem}'"))
            continue
        ui_name, ui_content = (ui.name, ui.content) if ui else (None, None)
        found = forms_module.form_problems(schema.name, schema.content, ui_name, ui_content)
        if found:
            problems.extend(found)
            continue
        forms.parsed[schema.stem] = forms_module.parse_form(schema.name, schema.content, ui_name, ui_content)
        forms.sources[schema.stem] = (schema, ui)
    return forms


# -- 3. XML -------------------------------------------------------------------------------------
@dataclass
class Document:
    """A BPMN or DMN file as parsed XML."""

    file: SourceFile
    kind: str
    root: etree._Element

    @property
    def xml(self) -> XmlDocument:
        return XmlDocument(self.file.name, self.root)


@dataclass
class Documents:
    bpmn: list[Document] = field(default_factory=list)
    dmn: list[Document] = field(default_factory=list)
    # decision id -> the document defining it
    decisions: dict[str, Document] = field(default_factory=dict)


def parse_documents(upload: Upload, problems: list[Problem]) -> Documents:
    documents = Documents()
    for kind in XML_KINDS:
        for file in upload.by_kind[kind]:
            _add_document(documents, file, kind, problems, {})
    return documents


def _add_document(documents: Documents, file: SourceFile, kind: str, problems: list[Problem],
                  generated: dict[str, Generated]) -> Document | None:
    root, found = parse_xml(file.name, file.content)
    problems.extend(found)
    if root is None:
        return None
    document = Document(file, kind, root)
    if kind == "bpmn":
        if root.tag != bpmn("definitions"):
            problems.append(Problem(file.name, root.sourceline, "not a BPMN 2.0 document (no bpmn:definitions root)"))
            return None
        documents.bpmn.append(document)
        return document
    documents.dmn.append(document)
    for decision_id in _decision_ids(root):
        if decision_id in documents.decisions:
            other = documents.decisions[decision_id].file
            problems.append(Problem(file.name, None, f"decision '{decision_id}' is also defined in "
                                                     f"{_shown(other, generated)}"))
        documents.decisions[decision_id] = document
    return document


def _decision_ids(root: etree._Element) -> list[str]:
    return [el.get("id") for el in root.iter() if etree.QName(el).localname == "decision" and el.get("id")]


# -- 4. YAML ------------------------------------------------------------------------------------
def compile_yaml(upload: Upload, forms: FormSet, documents: Documents, deployed: DeployedLookup,
                 problems: list[Problem]) -> dict[str, Generated]:
    """Compile YAML processes and decision tables into documents (keyed by generated file name)."""
    units = [read_unit(file) for file in (*upload.by_kind[PROCESS_KIND], *upload.by_kind[DECISION_KIND])]
    references = _YamlReferences(forms, deployed, documents, units)
    generated: dict[str, Generated] = {}
    for unit in units:
        problems.extend(unit.problems)
        found = context_problems(unit.process, references) if unit.process is not None else []
        problems.extend(found)
        if unit.problems or found:
            continue
        for output in compile_unit(unit):
            if output.file.name in upload.names:
                problems.append(Problem(unit.file.name, 1, f"compiles to {output.file.name}, which is also a file "
                                                            "of this upload; deploy one or the other"))
                continue
            upload.names.add(output.file.name)
            generated[output.file.name] = output
            kind = "bpmn" if output.file.name.endswith(".bpmn") else "dmn"
            _add_document(documents, output.file, kind, problems, generated)
    return generated


class _YamlReferences:
    """What YAML processes may reference, for `context_problems`: the upload's forms,
    decision tables and processes (XML and YAML), then what is deployed."""

    def __init__(self, forms: FormSet, deployed: DeployedLookup, documents: Documents, units: list) -> None:
        self.forms, self.deployed = forms, deployed
        self.decision_roots = {d: doc.root for d, doc in documents.decisions.items()}
        self.yaml_decisions = {t.id: DecisionColumns(tuple(i.expression for i in t.inputs),
                                                     tuple(o.name for o in t.outputs))
                               for unit in units for t in unit.decisions}
        self.process_keys = {key for doc in documents.bpmn for key in executable_process_ids(doc.root)}
        self.process_keys |= {unit.process.key for unit in units if unit.process is not None}
        self.deployed_decisions: dict[str, DecisionColumns | None] = {}

    def form_fields(self, name: str) -> frozenset[str] | None:
        if not self.forms.knows(name, self.deployed):
            return None
        return form_field_names(self.forms.parsed[name].schema)

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


# -- 5. dialects --------------------------------------------------------------------------------
def translate_dialects(documents: Documents, problems: list[Problem]) -> None:
    for document in documents.bpmn:
        problems.extend(translate_bpmn(document.file.name, document.root))


# -- 6. inspection ------------------------------------------------------------------------------
@dataclass
class Inspected:
    info: ProcessInfo
    document: Document


def inspect_processes(documents: Documents, generated: dict[str, Generated],
                      problems: list[Problem]) -> dict[str, Inspected]:
    processes: dict[str, Inspected] = {}
    for document in documents.bpmn:
        root, name = document.root, document.file.name
        ids = executable_process_ids(root)
        if not ids:
            problems.append(Problem(name, root.sourceline, "no executable process in this file"))
        for process in root.findall(bpmn("process")):
            key = process.get("id")
            if key not in ids:
                continue
            if key in processes:
                problems.append(Problem(name, process.sourceline, f"process '{key}' is also defined in "
                                        f"{_shown(processes[key].document.file, generated)}"))
                continue
            info = inspect_process(name, process, problems)
            source = generated.get(name)
            if source is not None:  # a YAML process: its problems are reported on YAML lines
                info = replace(info, file=source.source.name, service_tasks={
                    task_id: {**task, "line": source.element_lines.get(task_id, 1)}
                    for task_id, task in info.service_tasks.items()
                })
            processes[key] = Inspected(info, document)
    return processes


# -- 7. references to what is deployed ----------------------------------------------------------
@dataclass
class References:
    """What the upload's processes use from earlier deployments."""

    # called process key -> the deployed version's BPMN, translated, and its content hash
    called: dict[str, tuple[DeployedProcess, XmlDocument]] = field(default_factory=dict)


def resolve_references(processes: dict[str, Inspected], forms: FormSet, documents: Documents,
                       deployed: DeployedLookup, problems: list[Problem]) -> References:
    references = References()
    for key, inspected in processes.items():
        info = inspected.info
        for task in info.human_tasks.values():
            for ref in (task.form, task.ui_form):
                if ref and not forms.knows(ref, deployed):
                    problems.append(Problem(info.file, None, f"task '{task.element_id}' uses form '{ref}', "
                                                             "which is neither in this deployment nor deployed"))
        for ref in (info.start_form, info.start_ui_form):
            if ref and not forms.knows(ref, deployed):
                problems.append(Problem(info.file, None, f"start event of '{key}' uses form '{ref}', which is "
                                                         "neither in this deployment nor deployed"))
        for decision_id in info.decision_refs:
            if decision_id in documents.decisions:
                continue
            file = deployed.decision_file(decision_id)
            if file is None:
                problems.append(Problem(info.file, None, f"process '{key}' uses decision '{decision_id}', "
                                                         "which is neither in this deployment nor deployed"))
                continue
            root, _ = parse_xml(file.name, file.content)  # deployed once already: checked then
            if root is not None:
                document = Document(file, "dmn", root)
                documents.dmn.append(document)
                documents.decisions[decision_id] = document
        for called in info.called_keys:
            if called in processes or called in references.called:
                continue
            found = deployed.process(called)
            if found is None:
                problems.append(Problem(info.file, None, f"process '{key}' calls '{called}', which is "
                                                         "neither in this deployment nor deployed"))
                continue
            root, _ = parse_xml(found.bpmn.name, found.bpmn.content)
            if root is not None:
                translate_bpmn(found.bpmn.name, root)  # deployed once already: its problems were reported then
                references.called[called] = (found, XmlDocument(found.bpmn.name, root))
    return references


# -- 8. specs -----------------------------------------------------------------------------------
def parse_specs(documents: Documents, processes: dict[str, Inspected],
                references: References) -> dict[str, ParsedProcess]:
    context = {doc.name: doc for _, doc in references.called.values()}
    return parse_processes([d.xml for d in documents.bpmn], [d.xml for d in documents.dmn], list(processes),
                           context=list(context.values()))


# -- 9. manifests and hashes --------------------------------------------------------------------
def hash_versions(processes: dict[str, Inspected], specs: dict[str, ParsedProcess], forms: FormSet,
                  documents: Documents, references: References,
                  generated: dict[str, Generated]) -> list[CompiledProcess]:
    """Each process's manifest (role -> name -> sha256 of every file it uses, plus called
    processes' content hashes) and the content hash over it."""
    hashes: dict[str, str] = {}
    manifests: dict[str, dict] = {}

    def content_hash(key: str, seen: tuple[str, ...] = ()) -> str:
        if key in references.called:
            return references.called[key][0].content_hash
        if key in hashes:
            return hashes[key]
        info, file = processes[key].info, processes[key].document.file
        forms_used = sorted({f for t in info.human_tasks.values() for f in (t.form, t.ui_form) if f}
                            | {f for f in (info.start_form, info.start_ui_form) if f})
        decision_files = {d: documents.decisions[d].file for d in info.decision_refs}
        manifest = {
            "bpmn": {file.name: file.sha256},
            "forms": {name: [forms.sources[name][0].sha256,
                             forms.sources[name][1].sha256 if forms.sources[name][1] else None]
                      for name in forms_used},
            "dmn": {f.name: f.sha256 for f in decision_files.values()},
            "calls": {called: (content_hash(called, (*seen, key)) if called not in seen else "recursive")
                      for called in info.called_keys},
        }
        source = generated.get(file.name)
        if source is not None:
            manifest["yaml"] = {source.source.name: source.source.sha256}
        decision_sources = {generated[f.name].source for f in decision_files.values() if f.name in generated}
        if decision_sources - ({source.source} if source else set()):
            manifest["decision_yaml"] = {f.name: f.sha256 for f in sorted(decision_sources, key=lambda f: f.name)}
        manifests[key] = manifest
        hashes[key] = canonical_hash(manifest)
        return hashes[key]

    compiled = []
    for key, inspected in processes.items():
        digest = content_hash(key)
        info = inspected.info
        compiled.append(CompiledProcess(
            info=info, spec=specs[key].spec, subprocess_specs=specs[key].subprocess_specs,
            manifest=manifests[key], content_hash=digest,
            decisions={d: {"file": documents.decisions[d].file.name, "sha256": documents.decisions[d].file.sha256}
                       for d in info.decision_refs},
        ))
    return compiled


# -- problems on YAML lines ---------------------------------------------------------------------
def _on_yaml_lines(problems: Sequence[Problem], generated: dict[str, Generated]) -> list[Problem]:
    return [locate(generated[p.file], p) if p.file in generated else p for p in problems]


def _shown(file: SourceFile, generated: dict[str, Generated]) -> str:
    """A file's name as the designer knows it (a compiled file by its YAML source)."""
    return generated[file.name].source.name if file.name in generated else file.name
