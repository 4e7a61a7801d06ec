"""The YAML process format: concise, reviewable definitions that compile to BPMN and DMN.

Designers write a process as a short YAML file (``process:`` at the top) and decision
tables as YAML too (``decision:`` at the top, or under ``decisions:`` in a process file);
``docs/yaml-format.md`` describes the format and ``process.schema.json`` (beside this
file) is its JSON Schema. A deployment compiles them to BPMN 2.0 with a diagram and to
DMN 1.3, runs those like any hand-written model, and keeps the YAML beside them.

The pipeline, one concept per module:

- `detect`: which ``.yaml`` files are processes or decisions (the rest are forms);
- `lines`: the file as data plus a line for every key;
- `schema`: the JSON Schema check, in plain language, on the offending line;
- `model`: typed records of the file (defaults, lane inheritance, implicit end);
- `flows`: the sequence flows the file implies;
- `validate`: references, reachability, gateways, expressions, timers (the file alone);
- `context`, `dataflow`: forms, decisions and called processes elsewhere, and whether a
  decision's inputs are provided before it runs;
- `compile_bpmn`, `layout`, `compile_dmn`, `cells`: the XML and the diagram;
- `units`: one file through all of it, and problems in the XML mapped back to YAML lines.
"""

from .dataflow import DecisionColumns, form_field_names
from .schema import SCHEMA_FILE, definition_schema
from .units import DECISION_KIND, PROCESS_KIND, Generated, YamlUnit, compile_source, compile_unit, locate, read_unit

__all__ = [
    "DECISION_KIND",
    "PROCESS_KIND",
    "SCHEMA_FILE",
    "DecisionColumns",
    "Generated",
    "YamlUnit",
    "compile_source",
    "compile_unit",
    "definition_schema",
    "form_field_names",
    "locate",
    "read_unit",
]
