"""The incident taxonomy: which tags exist and how each one looks.

The table itself is data (``mapgen/data/taxonomy.csv``): a user can read it,
and a newsroom can change labels or colours without touching code. Each tag
has English and German labels and definitions, a colour, a Font Awesome icon
name (so types differ by shape, not colour alone), a severity used to pick the
icon of a place with several incidents, and the ACLED ``event_type`` and
``sub_event_type`` values it corresponds to.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Tag:
    """One incident type."""

    tag: str
    labels: dict[str, str]
    colour: str
    icon: str
    severity: int
    definitions: dict[str, str]
    acled_event_type: str
    acled_sub_event_types: tuple[str, ...]

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels["en"]

    def definition(self, lang: str = "en") -> str:
        return self.definitions.get(lang) or self.definitions["en"]


@lru_cache(maxsize=1)
def load_taxonomy() -> dict[str, Tag]:
    """Return the tags in table order, keyed by tag."""
    text = resources.files("mapgen").joinpath("data/taxonomy.csv").read_text("utf-8")
    tags: dict[str, Tag] = {}
    for row in csv.DictReader(text.splitlines()):
        langs = [k.split("_", 1)[1] for k in row if k.startswith("label_")]
        tags[row["tag"]] = Tag(
            tag=row["tag"],
            labels={lang: row[f"label_{lang}"] for lang in langs},
            colour=row["colour"],
            icon=row["icon"],
            severity=int(row["severity"]),
            definitions={lang: row[f"definition_{lang}"] for lang in langs},
            acled_event_type=row["acled_event_type"],
            acled_sub_event_types=tuple(
                s.strip() for s in row["acled_sub_event_types"].split(";") if s.strip()
            ),
        )
    return tags


def suggest(tag: str) -> str | None:
    """The valid tag closest to a misspelt one, or None when nothing is close."""
    names = list(load_taxonomy())
    lowered = tag.strip().lower()
    for name in names:
        tax = load_taxonomy()[name]
        if lowered in {name, *(label.lower() for label in tax.labels.values())}:
            return name
    import difflib  # only for a mistake's message

    match = difflib.get_close_matches(lowered, names, n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_tag_message(tag: str) -> str:
    """Explain an unknown tag: the closest valid one and the full list."""
    names = ", ".join(load_taxonomy())
    close = suggest(tag)
    hint = f" Did you mean '{close}'?" if close else ""
    return f"is not an incident type.{hint} Valid types: {names}."
