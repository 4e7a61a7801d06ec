"""Scripts of a multi-instance body, around all of its instances.

SpiffWorkflow runs an activity's pre- and post-scripts either on the multi-instance body
or, with ``spiffworkflow:scriptsOnInstances="true"``, on each instance. Camunda's
multi-instance activities need both: the input collection is computed once, before the
instances are created, while input and output mappings run per instance. The dialect
translation writes the body's scripts as ``flowdesk:bodyPreScript`` /
``flowdesk:bodyPostScript`` in the loop characteristics' extension elements; the
``multi-instance-body-scripts`` override (overrides.py) gives them to the body task spec.
"""

from __future__ import annotations

FLOWDESK_NS = "urn:flowdesk:bpmn:1.0"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def body_scripts(loop_characteristics) -> tuple[str | None, str | None]:
    ext = loop_characteristics.find(f"{{{BPMN_NS}}}extensionElements")
    if ext is None:
        return None, None
    pre = ext.find(f"{{{FLOWDESK_NS}}}bodyPreScript")
    post = ext.find(f"{{{FLOWDESK_NS}}}bodyPostScript")
    return (pre.text if pre is not None else None), (post.text if post is not None else None)


def copy_task_attrs_with_body_scripts(original_method):
    """SpiffTaskParser._copy_task_attrs, then the body's own scripts."""

    def _copy_task_attrs(self, original, loop_characteristics):
        original_method(self, original, loop_characteristics)
        pre, post = body_scripts(loop_characteristics)
        if pre is not None:
            self.task.prescript = pre
        if post is not None:
            self.task.postscript = post

    return _copy_task_attrs
