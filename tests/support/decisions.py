"""Small DMN decision tables built in code, and evaluating one."""

from __future__ import annotations

from flowdesk.engine.decisions import parse_decisions

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
FEEL = "https://www.omg.org/spec/DMN/20191111/FEEL/"


def table(hit_policy: str, rules: list[tuple[list[str], list[str]]], *, inputs=("x",), outputs=("out",),
          aggregation: str | None = None, output_values: dict[str, str] | None = None,
          defaults: dict[str, str] | None = None, language: str | None = FEEL, namespace: str = NS) -> bytes:
    output_values = output_values or {}
    defaults = defaults or {}
    lang = f' expressionLanguage="{language}"' if language else ""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<definitions xmlns="{namespace}" id="d" name="d" namespace="http://example.com"{lang}>',
             '<decision id="dec" name="Decision">',
             f'<decisionTable id="t" hitPolicy="{hit_policy}"{agg}>']
    for name in inputs:
        parts.append(f'<input id="in_{name}" label="{name}"><inputExpression><text>{name}</text></inputExpression>'
                     "</input>")
    for name in outputs:
        values = f"<outputValues><text>{output_values[name]}</text></outputValues>" if name in output_values else ""
        default = f"<defaultOutputEntry><text>{defaults[name]}</text></defaultOutputEntry>" if name in defaults \
            else ""
        parts.append(f'<output id="out_{name}" name="{name}">{values}{default}</output>')
    for number, (tests, results) in enumerate(rules, start=1):
        parts.append(f'<rule id="r{number}">')
        parts += [f"<inputEntry><text>{t}</text></inputEntry>" for t in tests]
        parts += [f"<outputEntry><text>{r}</text></outputEntry>" for r in results]
        parts.append("</rule>")
    parts.append("</decisionTable></decision></definitions>")
    return "".join(parts).encode()


def run(content: bytes, **context):
    return parse_decisions("t.dmn", content).evaluate("dec", context)
