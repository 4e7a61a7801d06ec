"""XML namespaces of the BPMN dialects Flowdesk reads."""

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

NSMAP = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA}


def bpmn(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def camunda(attr: str) -> str:
    return f"{{{CAMUNDA}}}{attr}"
