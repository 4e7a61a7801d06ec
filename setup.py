"""Maps the repository's top-level folders onto one import name.

The repository keeps the architecture's folders at the top (engine/, api/, processes/,
forms/), while the installed distribution puts everything under `flowdesk`, so nothing as
generic as `api` or `forms` lands in site-packages. setuptools' package finder does not
understand such a mapping, so the package list is computed here from the folders
themselves: a new sub-package needs no edit of this file. Folders without an
``__init__.py`` are shipped too (definition folders, Alembic's ``versions/``), because
they hold files the installed code reads.
"""

import os

from setuptools import setup

ROOTS = {
    "flowdesk": "flowdesk",
    "flowdesk.engine": "engine",
    "flowdesk.api": "api",
    "flowdesk.processes": "processes",
    "flowdesk.forms": "forms",
    "flowdesk.seed": "seed",
    "flowdesk.web": "web",
}


def _packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        for dirpath, dirnames, _files in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
            relative = os.path.relpath(dirpath, folder)
            found.append(name if relative == "." else f"{name}.{relative.replace(os.sep, '.')}")
    return found


setup(packages=_packages(), package_dir=ROOTS)
