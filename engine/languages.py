"""The languages a request asks for (``Accept-Language``), read one way for the API's
problem documents and the web app's pages."""

from __future__ import annotations

# A header longer than this is cut: nobody lists a hundred languages.
MAX_HEADER = 1000


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (by ``q``, then
    by their order in the header); tags with ``q=0`` or an unreadable ``q`` are left out."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "")[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag.strip() and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _q, _i, tag in sorted(weighted)]
