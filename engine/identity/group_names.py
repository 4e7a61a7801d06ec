"""Groups by their display names, in the reader's language.

Groups are ids (``department_managers``) because models, tokens and memberships name them;
people read "Department managers" or "部门经理". The names come from a YAML file
(``engine/groups.yaml`` shipped, ``FLOWDESK_GROUP_NAMES`` a site's own), each group
``{name: ..., name_i18n: {zh-CN: ...}}``; a group not listed shows as its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from .. import safe_yaml
from ..errors import BadRequest

SHIPPED = Path(__file__).resolve().parent.parent / "groups.yaml"


class GroupNames:
    def __init__(self, names: Mapping[str, Mapping[str, str]]) -> None:
        # group -> {locale tag (lower case, "-"): name}; "" holds the default name
        self._names = {group: dict(by_locale) for group, by_locale in names.items()}

    @classmethod
    def load(cls, path: Path | None) -> GroupNames:
        path = Path(path) if path is not None else SHIPPED
        try:
            raw = safe_yaml.load(path.read_bytes())
        except (OSError, ValueError, yaml.YAMLError) as err:
            raise BadRequest(f"group names {path}: {err}") from None
        if not isinstance(raw, dict):
            raise BadRequest(f"group names {path}: must map group ids to {{name, name_i18n}}")
        names: dict[str, dict[str, str]] = {}
        for group, spec in raw.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise BadRequest(f"group names {path}: '{group}' needs a name")
            translated = spec.get("name_i18n") or {}
            if not isinstance(translated, dict):
                raise BadRequest(f"group names {path}: '{group}': name_i18n must map locales to names")
            names[str(group)] = {"": spec["name"], **{str(tag).replace("_", "-").lower(): str(text)
                                                      for tag, text in translated.items()}}
        return cls(names)

    def name(self, group: str, locale: str | None = None) -> str:
        """``group``'s display name in ``locale`` (its language's, else the default name),
        else the id."""
        by_locale = self._names.get(group)
        if by_locale is None:
            return group
        wanted = (locale or "").replace("_", "-").lower()
        if wanted and not wanted.startswith("en"):
            language = wanted.split("-")[0]
            found = by_locale.get(wanted) or next((t for tag, t in by_locale.items()
                                                  if tag and tag.split("-")[0] == language), None)
            if found:
                return found
        return by_locale[""]

    def names(self, groups: Iterable[str], locale: str | None = None) -> dict[str, str]:
        return {group: self.name(group, locale) for group in groups}
