"""Turning BPMN/DMN documents into SpiffWorkflow specs, once per definition version.

The definitions layer reads and translates the files (dialects, YAML); this module only
hands the resulting XML trees to SpiffWorkflow's parser and serializes the specs it
builds, so that they can be stored once per version and restored without parsing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from ..errors import DefinitionInvalid, Problem
from . import overrides
from .serialization import spec_to_dict
from .service import FlowdeskParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True)
class XmlDocument:
    """A BPMN or DMN file as parsed XML, with the name it was deployed under. `validate`:
    check it against the BPMN and SpiffWorkflow schemas (models written for SpiffWorkflow;
    other tools' models are read leniently, as their own engines do)."""

    name: str
    root: etree._Element
    validate: bool = True


@dataclass
class ParsedProcess:
    key: str
    name: str
    file: str
    spec: dict
    subprocess_specs: dict[str, dict] = field(default_factory=dict)


def _problem_from(err: ValidationException, fallback_file: str) -> Problem:
    line = getattr(err, "line_number", None)
    file = getattr(err, "file_name", None) or fallback_file
    message = str(err).split("\n")[0].strip()
    return Problem(file, int(line) if line else None, message)


def parse_processes(
    bpmn: Sequence[XmlDocument],
    dmn: Sequence[XmlDocument],
    keys: Iterable[str],
    context: Sequence[XmlDocument] = (),
) -> dict[str, ParsedProcess]:
    """Parse the processes named by ``keys`` from ``bpmn``.

    ``context`` holds already deployed BPMN documents that call activities may need.
    Every problem SpiffWorkflow reports is collected; the caller gets all of them in one
    :class:`DefinitionInvalid`.
    """
    overrides.install()
    parser = FlowdeskParser(validator=VALIDATOR)
    problems: list[Problem] = []
    for doc in (*bpmn, *context):
        parser.validator = VALIDATOR if doc.validate else None
        try:
            parser.add_bpmn_xml(doc.root, filename=doc.name)
        except ValidationException as err:
            problems.append(_problem_from(err, doc.name))
        except Exception as err:
            problems.append(Problem(doc.name, None, f"not a valid BPMN document: {err}"))
    parser.validator = VALIDATOR
    for doc in dmn:
        try:
            parser.add_dmn_xml(doc.root, filename=doc.name)
        except ValidationException as err:
            problems.append(_problem_from(err, doc.name))
        except Exception as err:
            problems.append(Problem(doc.name, None, f"not a valid DMN document: {err}"))
    if problems:
        raise DefinitionInvalid(problems)

    parsed: dict[str, ParsedProcess] = {}
    for key in keys:
        process_parser = parser.process_parsers.get(key)
        file = process_parser.filename if process_parser is not None else "?"
        try:
            spec = parser.get_spec(key)
            subprocesses = parser.get_subprocess_specs(key)
        except ValidationException as err:
            problems.append(_problem_from(err, file))
            continue
        except Exception as err:
            problems.append(Problem(file, None, f"process '{key}' cannot be built: {err}"))
            continue
        parsed[key] = ParsedProcess(
            key=key,
            name=spec.description or key,
            file=file,
            spec=spec_to_dict(spec),
            subprocess_specs={name: spec_to_dict(sub) for name, sub in subprocesses.items()},
        )
    if problems:
        raise DefinitionInvalid(problems)
    return parsed
