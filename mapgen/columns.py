"""The columns of ``places.csv``, as data (``mapgen/data/columns.csv``).

One row per column says everything the code needs to know of it:

* ``name`` and ``other_names`` (what other tools call it: a header with one of
  those and not ours is an error that names the column to rename);
* ``level``: whether the value belongs to the ``place`` (one per place, the
  first filled cell wins, two different ones are an error) or to the
  ``incident`` (one per row);
* ``core``: mapgen interprets it (coordinates, precision, types, dates…);
  the other columns are carried from the CSV to the outputs as they are;
* ``optional``: left out of the header of a new file;
* ``kind`` and its parameters (``choices``, ``default``, ``min``, ``max``,
  ``noun``, ``example``): how every cell is checked (:mod:`mapgen.validate`);
* ``popup``, ``geojson``, ``kml``, ``csv``: where it is shown and exported,
  with its ``label_en``/``label_de`` in the popup and the KML balloon;
* ``description``: the README's data model table is this column;
* ``translated``: the column may come in language variants, ``place_de``,
  ``summary_de``…: a map in that language shows them, and the main column
  where a variant's cell is empty (:mod:`mapgen.page.languages`).

Adding a column that mapgen only carries (like ACLED's ``fatalities``) is one
row in that file: it is then read, checked by its kind, shown in the popup and
written to every export marked for it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from .config import LANGS

LEVELS = ("place", "incident")
#: Kinds of cell and what a good one is; the checks are in :mod:`mapgen.validate.cells`.
KINDS = ("name", "text", "free_text", "latitude", "longitude", "number", "count", "choice", "tags", "date",
         "url", "list")
OUTPUTS = ("popup", "geojson", "kml", "csv")


@dataclass(frozen=True)
class Column:
    """One column of ``places.csv``."""

    name: str
    level: str
    core: bool
    optional: bool
    kind: str
    choices: tuple[str, ...]
    default: str
    min: float | None
    max: float | None
    noun: str
    example: str
    other_names: tuple[str, ...]
    outputs: frozenset[str]
    labels: dict[str, str]
    description: str
    translated: bool = False
    variant_of: str = ""  # for a language variant (summary_de): its column (summary) …
    lang: str = ""        # … and its language (de)

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels["en"]

    def shown_in(self, output: str) -> bool:
        return output in self.outputs


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@lru_cache(maxsize=1)
def columns() -> dict[str, Column]:
    """Every column mapgen knows, in the order of a new file's header, keyed by name."""
    text = resources.files("mapgen").joinpath("data/columns.csv").read_text("utf-8")
    out: dict[str, Column] = {}
    for row in csv.DictReader(text.splitlines()):
        langs = [k.split("_", 1)[1] for k in row if k.startswith("label_")]
        column = Column(
            name=row["name"], level=row["level"], core=row["core"] == "1", optional=row["optional"] == "1",
            kind=row["kind"], choices=tuple(c for c in row["choices"].split(";") if c),
            default=row["default"], min=_number(row["min"]), max=_number(row["max"]), noun=row["noun"],
            example=row["example"],
            other_names=tuple(n.strip() for n in row["other_names"].split(";") if n.strip()),
            outputs=frozenset(o for o in OUTPUTS if row[o] == "1"),
            labels={lang: row[f"label_{lang}"] for lang in langs if row[f"label_{lang}"]},
            description=row["description"],
            translated=row["translated"] == "1",
        )
        if column.level not in LEVELS or column.kind not in KINDS:
            raise ValueError(f"data/columns.csv: {column.name}: level {column.level!r} or kind {column.kind!r} unknown")
        out[column.name] = column
    for column in [c for c in out.values() if c.translated]:
        for lang in LANGS:
            variant = replace(column, name=f"{column.name}_{lang}", core=False, optional=True, other_names=(),
                              kind="text" if column.kind == "name" else column.kind,
                              outputs=column.outputs & {"geojson", "csv"},  # carried, not shown twice
                              labels={k: f"{v} ({lang})" for k, v in column.labels.items()},
                              description=f"`{column.name}` in the language `{lang}`, for a map in it (`--lang {lang}`)",
                              translated=False, variant_of=column.name, lang=lang)
            out[variant.name] = variant
    return out


def column(name: str) -> Column:
    return columns()[name]


def names(*, optional: bool = True) -> tuple[str, ...]:
    """Column names in header order; without the optional ones for a new file."""
    return tuple(c.name for c in columns().values() if optional or not c.optional)


def carried(level: str | None = None, output: str | None = None) -> list[Column]:
    """The columns mapgen carries without interpreting them, optionally of one level or output."""
    return [c for c in columns().values() if not c.core and (level is None or c.level == level)
            and (output is None or c.shown_in(output))]


def other_names() -> dict[str, tuple[str, ...]]:
    """Our column name → the names other tools and languages give it."""
    return {c.name: c.other_names for c in columns().values() if c.other_names}


def markdown_table() -> str:
    """The README's data model table: one row per column of data/columns.csv, then the language variants."""
    lines = ["| column | meaning |", "|---|---|"]
    main = [c for c in columns().values() if not c.variant_of]
    lines += [f"| `{c.name}` | {c.description} |" for c in main]
    translated = [c.name for c in main if c.translated]
    if translated:
        variants = ", ".join(f"`{name}_{lang}`" for lang in LANGS for name in translated)
        lines.append(f"| {variants} | optional: {' and '.join(f'`{n}`' for n in translated)} in that language, "
                     f"for the map in it (`langs` in mapgen.toml, or `--lang`); where a cell is empty the map "
                     f"shows the main column's text and marks it as not translated |")
    return "\n".join(lines) + "\n"
