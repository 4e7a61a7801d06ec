"""A deployment's files through one stage after another into runnable, hashed processes.

Everything is checked before anything is stored, and every problem is reported at once
with its file and line. The stages, each a function below, in the order a deployment
runs them:

1. :func:`sort_files`: names and kinds (BPMN, DMN, forms and their UI hints, YAML).
2. :func:`read_forms`: form schemas paired with their UI hints, checked.
3. :func:`parse_documents`: every BPMN and DMN file parsed to XML, once.
4. :func:`compile_yaml`: YAML processes and decision tables checked against the rest of
   the deployment, then compiled to BPMN and DMN documents that join the others.
5. :func:`translate_dialects`: Camunda 7/8, Flowable and plain-BPMN constructs rewritten
   into what SpiffWorkflow runs (see `dialects`); forms embedded in models join the upload.
6. :func:`inspect_processes`: what Flowdesk needs to know of each executable process
   (tasks, forms, lanes, rules, decisions and calls).
7. :func:`resolve_references`: forms, decision tables and called processes the upload
   names but does not carry, looked up among what is deployed.
8. :func:`parse_specs`: SpiffWorkflow's parser builds the specs that will run.
9. :func:`hash_versions`: each process's manifest of what it uses, and its content hash.

What is accepted but inert or approximated is a warning, not a problem: the bundle carries
the warnings (file and line) for the deployment's answer and ``flowdesk validate``.

A problem in a file compiled from YAML is reported on the YAML line it comes from
(:func:`_on_yaml_lines`), once, when the problems are raised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lxml import etree

from .. import forms as forms_module
from ..decisions import read_decisions
from ..errors import DefinitionInvalid, Problem
from ..forms import task_rules
from ..runtime import ParsedProcess, XmlDocument, parse_processes
from .bundle import Bundle, CompiledProcess, DeployedLookup, DeployedProcess, NothingDeployed, canonical_hash
from .dialects import executable_process_ids, non_executable_process_ids, translate_bpmn, translate_document
from .inspect import inspect_process
from .model import ProcessInfo
from .namespaces import FLOWDESK, SPIFF, bpmn
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
    warnings: list[Problem] = []
    upload = sort_files(files, problems)
    forms = read_forms(upload, problems)
    documents = parse_documents(upload, problems)
    check_decisions(documents, problems)
    generated = compile_yaml(upload, forms, documents, deployed, problems)
    embedded = translate_dialects(documents, forms, upload, problems, warnings)
    processes = inspect_processes(documents, generated, problems, warnings)
    references = resolve_references(processes, forms, documents, deployed, problems, warnings)
    if problems:
        raise DefinitionInvalid(_on_yaml_lines(problems, generated))
    try:
        specs = parse_specs(documents, processes, references)
    except DefinitionInvalid as err:
        raise DefinitionInvalid(_on_yaml_lines(err.problems, generated)) from None
    compiled = hash_versions(processes, specs, forms, documents, references, generated)
    return Bundle(files=[*files, *(g.file for g in generated.values()), *embedded], processes=compiled,
                  forms=forms.parsed, warnings=_on_yaml_lines(warnings, generated))


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
    # Checked against the BPMN schema when parsed: models written for SpiffWorkflow (its
    # namespace, compiled YAML); other tools' models are read as leniently as they run.
    strict: bool = True

    @property
    def xml(self) -> XmlDocument:
        return XmlDocument(self.file.name, self.root, self.strict)


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
    document = Document(file, kind, root, strict=kind != "bpmn" or written_for_spiff(root))
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


def check_decisions(documents: Documents, problems: list[Problem]) -> None:
    """Every DMN document read by Flowdesk's evaluator, which runs business rule tasks:
    what it cannot run is a problem with its line."""
    for document in documents.dmn:
        _, found = read_decisions(document.file.name, document.file.content)
        problems.extend(found)


def written_for_spiff(root: etree._Element) -> bool:
    """Whether a BPMN document uses SpiffWorkflow's extensions (before translation)."""
    return SPIFF in root.nsmap.values() or any(
        isinstance(el.tag, str) and el.tag.startswith(f"{{{SPIFF}}}") for el in root.iter())


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
def translate_dialects(documents: Documents, forms: FormSet, upload: Upload, problems: list[Problem],
                       warnings: list[Problem]) -> list[SourceFile]:
    """Rewrite every BPMN document into SpiffWorkflow's dialect; the forms the models embed
    (form-js in Camunda 8 models, Camunda 7 form fields) are read into `forms` and returned
    as files to store with the deployment."""
    embedded: list[SourceFile] = []
    for document in documents.bpmn:
        translation = translate_document(document.file.name, document.root)
        problems.extend(translation.problems)
        warnings.extend(translation.warnings)
        schemas = [f for f in translation.forms if f.kind == "form"]
        hints = {f.stem: f for f in translation.forms if f.kind == "form_ui"}
        for schema in schemas:
            if schema.name in upload.names or schema.stem in forms.parsed:
                problems.append(Problem(document.file.name, None, f"the form '{schema.stem}' defined in this model "
                                                                  "is also a file of this upload"))
                continue
            ui = hints.get(schema.stem)
            found = forms_module.form_problems(schema.name, schema.content, ui.name if ui else None,
                                               ui.content if ui else None)
            if found:
                problems.extend(Problem(document.file.name, None, f"form '{schema.stem}': {p.message}") for p in found)
                continue
            forms.parsed[schema.stem] = forms_module.parse_form(schema.name, schema.content,
                                                                ui.name if ui else None, ui.content if ui else None)
            forms.sources[schema.stem] = (schema, ui)
            upload.names.add(schema.name)
            embedded.append(schema)
            if ui is not None:
                embedded.append(ui)
    return embedded


# -- 6. inspection ------------------------------------------------------------------------------
@dataclass
class Inspected:
    info: ProcessInfo
    document: Document


def inspect_processes(documents: Documents, generated: dict[str, Generated],
                      problems: list[Problem], warnings: list[Problem] | None = None) -> dict[str, Inspected]:
    processes: dict[str, Inspected] = {}
    for document in documents.bpmn:
        root, name = document.root, document.file.name
        ids = executable_process_ids(root)
        if not ids:
            viewable = non_executable_process_ids(root)
            if not viewable:
                problems.append(Problem(name, root.sourceline, "no executable process in this file"))
            for key in viewable:
                if key in processes:
                    continue
                process = root.find(f"{bpmn('process')}[@id='{key}']")
                if warnings is not None:
                    warnings.append(Problem(name, process.sourceline, f"process '{key}' is not executable: it is "
                                                                      "stored with its diagram, and cannot be started"))
                processes[key] = Inspected(ProcessInfo(key=key, name=process.get("name") or key, file=name,
                                                       plain_start=False, executable=False), document)
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
                       deployed: DeployedLookup, problems: list[Problem],
                       warnings: list[Problem] | None = None) -> References:
    """Forms, decisions and called processes the processes name. A form that is nowhere
    leaves its task free-form (a warning: the task accepts any JSON object); a decision or
    a called process that is nowhere is a problem (running would be wrong)."""
    references = References()
    warnings = warnings if warnings is not None else problems
    form_ids = _form_ids(forms)
    for key, inspected in list(processes.items()):
        info = inspected.info
        tasks = dict(info.human_tasks)
        for task_id, task in info.human_tasks.items():
            form = _form_of(task_id, inspected, task.form, form_ids, forms, deployed)
            ui = task.ui_form if task.ui_form and forms.knows(task.ui_form, deployed) else None
            named = _form_id_of(inspected, task_id) or task.form
            for ref, kept in ((named, form), (task.ui_form, ui)):
                if ref and kept is None:
                    warnings.append(Problem(info.file, _line_of(inspected, task_id),
                                            f"task '{task_id}' uses form '{ref}', which is neither in this deployment "
                                            "nor deployed: the task accepts any data"))
            _rule_fields(inspected, task_id, task.validate, form, forms, problems)
            if (form, ui) != (task.form, task.ui_form):
                tasks[task_id] = replace(task, form=form, ui_form=ui)
        start = _form_of(None, inspected, info.start_form, form_ids, forms, deployed)
        start_ui = info.start_ui_form if info.start_ui_form and forms.knows(info.start_ui_form, deployed) else None
        for ref, kept in ((_form_id_of(inspected, None) or info.start_form, start), (info.start_ui_form, start_ui)):
            if ref and kept is None:
                warnings.append(Problem(info.file, _start_line(inspected),
                                        f"start event of '{key}' uses form '{ref}', which is neither in this "
                                        "deployment nor deployed: the start accepts any data"))
        _rule_fields(inspected, None, info.start_validate, start, forms, problems)
        info = replace(info, human_tasks=tasks, start_form=start, start_ui_form=start_ui)
        inspected.info = info
        for decision_id in info.decision_refs:
            if decision_id in documents.decisions:
                continue
            file = deployed.decision_file(decision_id)
            if file is None:
                # As in Camunda, a decision is needed when its task is reached: that task fails
                # with an incident then, unless the process is deployed again with the decision.
                warnings.append(Problem(info.file, None, f"process '{key}' uses decision '{decision_id}', which "
                                                         "is neither in this deployment nor deployed: its business "
                                                         "rule task fails when it is reached"))
                continue
            root, _ = parse_xml(file.name, file.content)  # deployed once already: checked then
            if root is not None:
                document = Document(file, "dmn", root)
                documents.dmn.append(document)
                documents.decisions[decision_id] = document
        pending = list(info.called_keys)
        while pending:  # called processes, and the processes they call in turn
            called = pending.pop(0)
            if called in processes or called in references.called:
                continue
            found = deployed.process(called)
            if found is None:
                problems.append(Problem(info.file, None, f"process '{key}' calls '{called}', which is "
                                                         "neither in this deployment nor deployed"))
                continue
            root, _ = parse_xml(found.bpmn.name, found.bpmn.content)
            if root is not None:
                strict = written_for_spiff(root)
                translate_bpmn(found.bpmn.name, root)  # deployed once already: its problems were reported then
                references.called[called] = (found, XmlDocument(found.bpmn.name, root, strict))
                pending.extend(found.info.called_keys)
    return references


def _rule_fields(inspected: Inspected, element_id: str | None, rules: tuple[dict, ...], form: str | None,
                 forms: FormSet, problems: list[Problem]) -> None:
    """Each validation rule must name a field of the form it validates (on the element's line)."""
    schema = forms.parsed[form].schema if form in forms.parsed else {}
    found = [p for p in (task_rules.pointer_problem(schema, r["field"]) for r in rules if schema) if p]
    line = _line_of(inspected, element_id) if element_id else _start_line(inspected)
    problems.extend(Problem(inspected.document.file.name, line, f"{element_id or 'the start event'}: validation "
                                                                f"rule field {p}") for p in found)


def _start_line(inspected: Inspected) -> int | None:
    starts = inspected.document.root.xpath("//*[@id=$id]/*[local-name()='startEvent']", id=inspected.info.key)
    return starts[0].sourceline if starts else None


def _form_ids(forms: FormSet) -> dict[str, str]:
    """form-js id -> form name, for the upload's ``.form`` files (Camunda 8's ``formId``,
    Camunda 7's ``formRef``)."""
    found: dict[str, str] = {}
    for name, (schema, _ui) in forms.sources.items():
        form_id = forms.parsed[name].schema.get("x-form-id") if name in forms.parsed else None
        if not form_id and schema.name.endswith((".form", ".json")):
            try:
                document = json.loads(schema.content)
            except ValueError:
                continue
            form_id = document.get("id") if isinstance(document, dict) and "components" in document else None
        if isinstance(form_id, str) and form_id:
            found.setdefault(form_id, name)
    return found


def _form_of(element_id: str | None, inspected: Inspected, ref: str | None, form_ids: dict[str, str],
             forms: FormSet, deployed: DeployedLookup) -> str | None:
    """The form name a task (or the start event, `element_id` None) ends up with, or None
    (free-form). A ``formId`` written by the dialect translation is looked up among form
    ids first, then as a form name."""
    form_id = _form_id_of(inspected, element_id)
    if form_id:
        if form_id in form_ids:
            return form_ids[form_id]
        if forms.knows(form_id, deployed):
            return form_id
        return None if not ref else (ref if forms.knows(ref, deployed) else None)
    if ref and forms.knows(ref, deployed):
        return ref
    return None


def _form_id_of(inspected: Inspected, element_id: str | None) -> str | None:
    process = inspected.document.root.find(f"{bpmn('process')}[@id='{inspected.info.key}']")
    if process is None:
        return None
    nodes = process.findall(bpmn("startEvent")) if element_id is None else process.xpath(".//*[@id=$id]",
                                                                                            id=element_id)
    for node in nodes:
        ext = node.find(bpmn("extensionElements"))
        meta = ext.find(f"{{{FLOWDESK}}}humanTask") if ext is not None else None
        if meta is not None and meta.get("formId"):
            return meta.get("formId")
    return None


def _line_of(inspected: Inspected, element_id: str) -> int | None:
    found = inspected.document.root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


# -- 8. specs -----------------------------------------------------------------------------------
def parse_specs(documents: Documents, processes: dict[str, Inspected],
                references: References) -> dict[str, ParsedProcess]:
    context = {doc.name: doc for _, doc in references.called.values()}
    runnable = [key for key, p in processes.items() if p.info.executable]
    specs = parse_processes([d.xml for d in documents.bpmn], [d.xml for d in documents.dmn], runnable,
                            context=list(context.values()))
    viewable = [key for key, p in processes.items() if not p.info.executable]
    if viewable:
        specs.update(parse_processes([XmlDocument(f"{key}.viewable.bpmn", _placeholder(key)) for key in viewable],
                                     [], viewable))
    return specs


def _placeholder(key: str) -> etree._Element:
    """The spec stored for a process that is not executable: a start event, nothing else
    (the version exists to be viewed; starting it is refused)."""
    root = etree.Element(bpmn("definitions"), nsmap={"bpmn": bpmn("")[1:-1]},
                         targetNamespace="urn:flowdesk:viewable")
    process = etree.SubElement(root, bpmn("process"), id=key, isExecutable="true")
    etree.SubElement(process, bpmn("startEvent"), id=f"{key}_start")
    return root


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
        decision_files = {d: documents.decisions[d].file for d in info.decision_refs if d in documents.decisions}
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
        # The hash is over what runs, not how the files were passed: "decision_yaml" lists the
        # YAML a decision was compiled from only when that file was in this deployment (the
        # compiled DMN in "dmn" already changes with it), so it stays out of the hash.
        hashes[key] = canonical_hash({k: v for k, v in manifest.items() if k != "decision_yaml"})
        return hashes[key]

    compiled = []
    for key, inspected in processes.items():
        digest = content_hash(key)
        info = inspected.info
        compiled.append(CompiledProcess(
            info=info, spec=specs[key].spec, subprocess_specs=specs[key].subprocess_specs,
            manifest=manifests[key], content_hash=digest,
            decisions={d: {"file": documents.decisions[d].file.name, "sha256": documents.decisions[d].file.sha256}
                       for d in info.decision_refs if d in documents.decisions},
        ))
    return compiled


# -- problems on YAML lines ---------------------------------------------------------------------
def _on_yaml_lines(problems: Sequence[Problem], generated: dict[str, Generated]) -> list[Problem]:
    return [locate(generated[p.file], p) if p.file in generated else p for p in problems]


def _shown(file: SourceFile, generated: dict[str, Generated]) -> str:
    """A file's name as the designer knows it (a compiled file by its YAML source)."""
    return generated[file.name].source.name if file.name in generated else file.name
