"""Every change mapgen makes to a user's ``places.csv`` goes through here.

``geocode --write`` (:func:`fill_coordinates`), ``extract --append`` and
``import-acled --append`` (:func:`append_rows`) and editing on the map
(:mod:`.operations`: :func:`set_location`, :func:`add_incident`,
:func:`update_incident`, :func:`delete_incident`; undo by :class:`EditHistory`)
change only the cells they must, in the file's own format, after checking
the result as ``mapgen validate`` does (:class:`.placesfile.PlacesFile`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ..errors import DataError, Problem
from .history import EditHistory, NothingToUndo
from .operations import Edit, NeedsConfirmation, add_incident, delete_incident, set_location, update_incident
from .placesfile import FileChanged, FileLocked, FileReadOnly, PlacesFile, fingerprint

__all__ = ["Edit", "EditHistory", "FileChanged", "FileLocked", "FileReadOnly", "NeedsConfirmation", "NothingToUndo",
           "PlacesFile", "WriteResult", "add_incident", "append_rows", "delete_incident", "fill_coordinates",
           "fingerprint", "set_location", "update_incident"]


def append_rows(path: str | Path, rows: Sequence[Mapping[str, str]], *, encoding: str | None = None,
                add_columns: Sequence[str] | None = None) -> int:
    """Add ``rows`` (column → text) at the end of the places CSV at ``path``; return how many.

    The existing bytes are kept; columns of ``add_columns`` (default: those
    mapgen reads with a value in some row) missing from the header are added
    at its end, so no value is lost (a candidate's status, an event id). If the
    result has problems, nothing is written.
    """
    if not rows:
        return 0
    places = PlacesFile.read(path, encoding)
    places.append(rows, add_columns)
    places.save()
    return len(rows)


@dataclass(frozen=True)
class WriteResult:
    """What :func:`fill_coordinates` changed."""

    rows: int                 # rows whose lat/lon were filled (one per place)
    places: tuple[str, ...]   # places that got coordinates


def fill_coordinates(path: str | Path, coords: Mapping[str, tuple[float, float]],
                     *, encoding: str | None = None) -> WriteResult:
    """Fill the empty lat/lon cells of the first row of each place in ``coords``.

    A place with coordinates on any of its rows is left alone (typed-in
    coordinates always win); its other rows stay empty, as the data model allows.
    """
    places = PlacesFile.read(path, encoding)
    missing = [c for c in ("place", "lat", "lon") if c not in places.header]
    if missing:
        raise DataError([Problem(str(places.path), places.header_record.line, None, None,
                                 f"has no column {' or '.join(repr(m) for m in missing)}, so coordinates "
                                 "cannot be written back. Add empty 'lat' and 'lon' columns to the header.")])
    filled = []
    for place, (lat, lon) in coords.items():
        rows = places.rows_of(place)
        if not rows or any(places.cell(r, "lat").strip() or places.cell(r, "lon").strip() for r in rows):
            continue
        places.set_cells(rows[0], {"lat": places.number(lat), "lon": places.number(lon)})
        filled.append(place)
    if filled:
        places.save()
    return WriteResult(len(filled), tuple(filled))
