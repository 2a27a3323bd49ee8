"""Editing on the map, as a Python API: move a place; add, change or delete an incident.

Each function reads ``places.csv``, changes only the cells it must (through
:class:`.placesfile.PlacesFile`, as ``geocode --write`` and ``--append`` do),
checks the result as ``mapgen validate`` does and replaces the file
atomically. It returns an :class:`Edit` (the bytes before and after), which an
:class:`.history.EditHistory` passed as ``history`` records for undo.

Nothing is written when the result has problems (:class:`mapgen.errors.DataError`,
each :class:`~mapgen.errors.Problem` naming its column, so a form can show it
at its field), when ``version`` is given and the file is no longer that
version (:class:`.placesfile.FileChanged`), or when the file is open in a
spreadsheet or read-only (:class:`.placesfile.FileLocked`,
:class:`.placesfile.FileReadOnly`).

An incident is a row of the file, named by the line it starts on. A place is
all rows with its name; its location (``lat``, ``lon``, ``precision``...)
may be written on one of them or repeated on several, and stays so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence, Union

from ..columns import column, columns, names
from ..dataset import DEFAULT_RADIUS_M
from ..errors import DataError, Problem
from .placesfile import FileChanged, PlacesFile, Record, fingerprint

if TYPE_CHECKING:
    from .history import EditHistory

#: What a cell may be given as: text, a number, a list (incident types, aliases), or None for empty.
CellValue = Union[str, int, float, Sequence[str], None]
#: Columns that belong to the place (one value per place), besides its name.
PLACE_CELLS = tuple(c.name for c in columns().values() if c.level == "place" and c.name != "place")
#: Decimals of coordinates written by an edit: 1 m or better.
COORDINATE_DECIMALS = 5
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
#: How lists are joined in a cell, per column.
_LIST_SEPARATOR = {"incidents": ";", "aliases": "; "}


class NeedsConfirmation(DataError):
    """The edit would claim more than is known (a city-level place made exact); repeat it confirmed."""

    def __init__(self, problem: Problem, place: str, known: str) -> None:
        super().__init__([problem], hint=f"{Path(problem.path).name} was not changed.")
        self.place = place
        self.known = known  # the precision known now: city or country


@dataclass(frozen=True)
class Edit:
    """One change to a places file: its bytes before and after, and the row it concerned."""

    path: Path
    before: bytes
    after: bytes
    line: int | None  # the row added or changed, or where the deleted row was
    description: str

    @property
    def version(self) -> str:
        """The fingerprint of the file after the edit (what a page built from it sends back)."""
        return fingerprint(self.after)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def set_location(path: str | Path, place: str, lat: float | str, lon: float | str, *,
                 precision: str | None = None, radius_m: float | str | None = None,
                 confirm_exact: bool = False, version: str | None = None, encoding: str | None = None,
                 history: EditHistory | None = None) -> Edit:
    """Move ``place`` to ``lat``, ``lon`` (written with 5 decimals, in the file's decimal mark).

    The coordinates go into the rows of the place that hold coordinates (its
    first row if none does), so a marker moved changes two cells of one line
    when the place has them on one row. ``precision`` and ``radius_m`` are
    written only when given and different from the place's (its cell, or the
    default when empty). A place known only at ``city`` or ``country`` level is
    made ``exact`` only with ``confirm_exact=True``; otherwise
    :class:`NeedsConfirmation` is raised.
    """
    places = _open(path, encoding, version)
    name = place.strip()
    rows = places.rows_of(name)
    if not rows:
        raise DataError([Problem(str(places.path), 0, "place", name, "is not a place in this file; check the "
                                 "name as written in its rows (a new place comes with add_incident).")])
    holding = [r for r in rows if places.cell(r, "lat").strip() or places.cell(r, "lon").strip()] or rows[:1]
    changes: dict[int, dict[str, str]] = {}
    for row in holding:
        for col, value in (("lat", lat), ("lon", lon)):
            text = cell_text(places, col, value)
            if not _same(places, col, places.cell(row, col), text):
                changes.setdefault(row.line, {})[col] = text
    current = _place_value(places, rows, "precision").lower()
    effective = current or column("precision").default
    if precision is not None:
        wanted = precision.strip().lower()
        if wanted == "exact" and effective in ("city", "country") and not confirm_exact:
            raise NeedsConfirmation(Problem(
                str(places.path), holding[0].line, "precision", wanted,
                f"would claim an exact spot for {name!r}, which is known only at {effective} level. "
                "Confirm it (confirm_exact=True) if the exact spot is known."), name, effective)
        if wanted != effective:
            _write_place_cell(places, rows, holding, changes, "precision", wanted)
            effective = wanted
    if radius_m is not None:
        text = cell_text(places, "radius_m", radius_m)
        now = _place_value(places, rows, "radius_m") or str(DEFAULT_RADIUS_M.get(effective, ""))
        if not _same(places, "radius_m", now, text):
            _write_place_cell(places, rows, holding, changes, "radius_m", text)
    _apply(places, list(changes.items()))
    return _finish(places, holding[0].line, f"moved {name!r}", history)


def add_incident(path: str | Path, cells: Mapping[str, CellValue], *, version: str | None = None,
                 encoding: str | None = None, history: EditHistory | None = None) -> Edit:
    """Add a row (column → value) at the end of the file: an incident at a place, new or known.

    A new place brings its own ``lat`` and ``lon`` (e.g. a click on the map)
    or none (it is then located by the next build, or listed as not on the
    map yet). For a known place, its location cells may be left out; given
    equal to the place's, they are left out of the row, as they are written
    already. Columns the header lacks are added to it.
    """
    places = _open(path, encoding, version)
    row = _cells(places, cells)
    name = row.get("place", "").strip()
    known = places.rows_of(name) if name else []
    for col in PLACE_CELLS:
        if known and row.get(col) and _same(places, col, _place_value(places, known, col, default=True), row[col]):
            row[col] = ""  # the place has it already
    places.append([row])
    line = places.row(-1).line
    return _finish(places, line, f"added an incident at {name!r}", history)


def update_incident(path: str | Path, line: int, cells: Mapping[str, CellValue], *, version: str | None = None,
                    encoding: str | None = None, history: EditHistory | None = None) -> Edit:
    """Change the cells of the row that starts on ``line``; other cells and rows stay as they are.

    Cells given equal to the row's are not rewritten. When the row goes to
    another place (its ``place`` changes), the location of the place it leaves
    stays with that place: cells only this row had are copied to the place's
    next row, and are cleared on this row (unless given), so the row takes
    the location of the place it joins. A place of one row that gets a new
    name keeps its location: that is renaming the place.
    """
    places = _open(path, encoding, version)
    record = places.at_line(line)
    wanted = _cells(places, cells)
    values = {col: text for col, text in wanted.items() if not _same(places, col, places.cell(record, col), text)}
    changes: list[tuple[int, dict[str, str] | None]] = []
    if "place" in values:
        others = _other_rows(places, record)
        kept = _kept_by_place(places, record, others)
        if kept is not None:
            changes.append(kept)
        joined = values["place"].strip()
        if others or (joined and places.rows_of(joined)):
            for col in PLACE_CELLS:
                if col not in wanted and places.cell(record, col).strip():
                    values[col] = ""
    changes.append((line, values))
    _apply(places, changes)
    return _finish(places, line, f"changed the row on line {line}", history)


def delete_incident(path: str | Path, line: int, *, version: str | None = None, encoding: str | None = None,
                    history: EditHistory | None = None) -> Edit:
    """Delete the row that starts on ``line``.

    The location of its place stays: cells only this row had are copied to
    the place's next row. The last row of a place takes the place with it.
    """
    places = _open(path, encoding, version)
    record = places.at_line(line)
    name = places.cell(record, "place").strip()
    changes: list[tuple[int, dict[str, str] | None]] = [(line, None)]
    kept = _kept_by_place(places, record, _other_rows(places, record))
    if kept is not None:
        changes.append(kept)
    _apply(places, changes)
    return _finish(places, line, f"deleted the row on line {line} ({name!r})", history)


# -- cells ---------------------------------------------------------------------------------

def cell_text(places: PlacesFile, col: str, value: CellValue) -> str:
    """``value`` as the text of a cell of ``col`` in this file.

    Coordinates get 5 decimals; numbers are written in the file's decimal
    mark; lists are joined (``gunfire;arson``). Text that is not a good value
    is written as given, so the check names it as ``mapgen validate`` would.
    """
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return _LIST_SEPARATOR.get(col, ";").join(str(v).strip() for v in value if str(v).strip())
    kind = column(col).kind if col in columns() else "text"
    if kind not in ("latitude", "longitude", "number"):
        return str(value).strip()
    number = _number(value)
    if number is None:
        return str(value).strip()
    if kind == "number":
        text = format(number, "f").rstrip("0").rstrip(".")
    else:
        text = f"{round(number, COORDINATE_DECIMALS) + 0.0:.{COORDINATE_DECIMALS}f}"  # + 0.0: no "-0.00000"
    return text.replace(".", ",") if places.layout.decimal_comma else text


def _number(value: CellValue) -> float | None:
    """A number given as a number or as text with a point or a decimal comma; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return float(text) if _PLAIN_NUMBER.fullmatch(text) else None


def _cells(places: PlacesFile, cells: Mapping[str, CellValue]) -> dict[str, str]:
    """``cells`` as texts; a column neither in the file nor in the data model is a problem."""
    known = set(names()) | set(places.header)
    unknown = [str(col) for col in cells if col not in known]
    if unknown:
        raise DataError([Problem(str(places.path), 0, col, None,
                                 f"is not a column of {places.path.name} or of mapgen's data model "
                                 f"({', '.join(names())}).") for col in unknown],
                        hint=f"{places.path.name} was not changed.")
    return {col: cell_text(places, col, value) for col, value in cells.items()}


def _same(places: PlacesFile, col: str, old: str, new: str) -> bool:
    """Whether a cell holding ``old`` already says ``new`` (numbers by value, choices in any case)."""
    old, new = old.strip(), new.strip()
    if old == new:
        return True
    kind = column(col).kind if col in columns() else "text"
    if kind in ("latitude", "longitude", "number"):
        a, b = _number(old), _number(new)
        return a is not None and a == b
    return kind == "choice" and old.lower() == new.lower()


def _place_value(places: PlacesFile, rows: Sequence[Record], col: str, default: bool = False) -> str:
    """The place's value of ``col``: its first filled cell (or, with ``default``, the column's default)."""
    value = next((v for v in (places.cell(r, col).strip() for r in rows) if v), "")
    if value or not default:
        return value
    if col == "radius_m":
        precision = _place_value(places, rows, "precision", default=True).lower()
        return str(DEFAULT_RADIUS_M.get(precision, ""))
    return column(col).default if col in columns() else ""


def _write_place_cell(places: PlacesFile, rows: Sequence[Record], holding: Sequence[Record],
                      changes: dict[int, dict[str, str]], col: str, text: str) -> None:
    """Write a place's ``col`` where the place has it (every such row), else on its row with coordinates."""
    for row in [r for r in rows if places.cell(r, col).strip()] or holding[:1]:
        changes.setdefault(row.line, {})[col] = text


def _other_rows(places: PlacesFile, record: Record) -> list[Record]:
    """The other rows of the place of ``record``."""
    return [r for r in places.rows_of(places.cell(record, "place").strip()) if r.line != record.line]


def _kept_by_place(places: PlacesFile, record: Record, others: Sequence[Record]) -> tuple[int, dict[str, str]] | None:
    """What the place's next row (of ``others``) must take from ``record`` to keep the place's location."""
    if not others:
        return None
    values = {}
    for col in PLACE_CELLS:
        mine = places.cell(record, col).strip()
        if not mine:
            continue
        if col == "aliases":  # merged over the rows: the next row takes the names no other row has
            theirs = {a.strip() for r in others for a in places.cell(r, col).split(";")}
            missing = [a.strip() for a in mine.split(";") if a.strip() and a.strip() not in theirs]
            if missing:
                first = places.cell(others[0], col).strip()
                values[col] = _LIST_SEPARATOR[col].join(([first] if first else []) + missing)
        elif not any(places.cell(r, col).strip() for r in others):
            values[col] = mine
    return (others[0].line, values) if values else None


# -- reading and writing -------------------------------------------------------------------

def _open(path: str | Path, encoding: str | None, version: str | None) -> PlacesFile:
    places = PlacesFile.read(path, encoding)
    if version is not None and version != places.version:
        raise FileChanged(f"{places.path} changed on disk after the map was loaded (another program or "
                          "person saved it), so mapgen did not change it. Load the map again and repeat the edit.")
    return places


def _apply(places: PlacesFile, changes: list[tuple[int, dict[str, str] | None]]) -> None:
    """Set cells of (``None``: delete) the rows on these lines."""
    rows = {line: values for line, values in changes if values is None or values}
    if rows:
        places.change(rows)


def _finish(places: PlacesFile, line: int | None, description: str, history: EditHistory | None) -> Edit:
    """Check and save the edited file (if anything changed); record the edit in ``history``."""
    before = places.original
    after = places.save() if places.edited else before
    edit = Edit(places.path, before, after, line, description)
    if history is not None and edit.changed:
        history.record(edit)
    return edit
