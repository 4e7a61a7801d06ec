"""Process diagrams: one layout engine and one SVG renderer.

``layout``: the automatic layered layout, used to give compiled YAML processes their
diagram interchange and to draw models that have none; ``render``: BPMN to SVG, from the
model's own diagram interchange when it has one, marking an instance's completed, active
and failed elements. The repository and instance services serve the SVG to the API and
the web app alike.
"""
