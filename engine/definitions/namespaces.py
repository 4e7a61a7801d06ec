"""XML namespaces of the BPMN dialects Flowdesk reads."""

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
FLOWABLE = "http://flowable.org/bpmn"
ACTIVITI = "http://activiti.org/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Flowdesk's own extension elements, written by the dialect translation into the tree that
# SpiffWorkflow parses (never into a stored file).
FLOWDESK = "urn:flowdesk:bpmn:1.0"

NSMAP = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA, "zeebe": ZEEBE, "flowdesk": FLOWDESK}


def bpmn(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def camunda(attr: str) -> str:
    return f"{{{CAMUNDA}}}{attr}"


def zeebe(tag: str) -> str:
    return f"{{{ZEEBE}}}{tag}"


def spiff(tag: str) -> str:
    return f"{{{SPIFF}}}{tag}"


def flowdesk(tag: str) -> str:
    return f"{{{FLOWDESK}}}{tag}"
