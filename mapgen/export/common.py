"""What the exports share: columns as lists, incidents per place, coordinates, carried columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..columns import Column, carried
from ..dataset import Dataset

Columns = dict[str, list[Any]]


def lists(frame: pd.DataFrame) -> Columns:
    """The columns of ``frame`` as plain lists (indexing those is fast)."""
    return {name: frame[name].tolist() for name in frame.columns}


def per_place(ds: Dataset) -> list[list[int]]:
    """For each place, the positions of its incidents in file order."""
    groups: list[list[int]] = [[] for _ in range(len(ds.places))]
    for pos, p in enumerate(ds.rows.place.tolist()):
        groups[p].append(pos)
    return groups


def coord(value: float) -> str:
    """A coordinate with at most 6 decimals (about 10 cm), no trailing zeros; ``""`` if not located."""
    if value != value:
        return ""
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


def carried_columns(ds: Dataset, output: str) -> list[Column]:
    """The carried columns (``fatalities``, ``event_id``…) this dataset has that ``output`` shows."""
    have = {"incident": set(ds.rows.texts.columns) | set(ds.rows.counts), "place": set(ds.places.columns)}
    return [c for c in carried(output=output) if c.name in have[c.level]]


def plain(column: Column, value: Any) -> Any:
    """A carried cell as JSON writes it: a count as an int, empty as None."""
    if column.kind == "count":
        return None if value is None or pd.isna(value) else int(value)
    return value if value not in (None, "") else None


def shown(column: Column, value: Any) -> str:
    """A carried cell as text; ``""`` when empty."""
    value = plain(column, value)
    return "" if value is None else str(value)


def summed(column: Column, values: list[Any]) -> str:
    """The cells of one place's incidents in one carried column: a count adds up, text is listed once each."""
    if column.kind == "count":
        numbers = [plain(column, v) for v in values]
        given = [n for n in numbers if n is not None]
        return str(sum(given)) if given else ""
    return "; ".join(dict.fromkeys(shown(column, v) for v in values if shown(column, v)))


def for_place(column: Column, pcol: Columns, icol: Columns, p: int, rows: list[int]) -> str:
    """A carried column's value for place ``p`` (whose incidents are ``rows``), as text."""
    if column.level == "place":
        return shown(column, pcol[column.name][p])
    return summed(column, [icol[column.name][pos] for pos in rows])
