"""The GeoJSON export: every incident as an RFC 7946 feature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import orjson

from ..dataset import DATE_PRECISIONS, STATUSES, Dataset
from ..incidents import TextStore, iso_days
from ..page.data import coordinates
from ..taxonomy import load_taxonomy
from .common import carried_columns, plain


#: Incidents encoded at a time: the file is written as it is made, never held whole.
BLOCK = 20_000


def geojson_parts(ds: Dataset, offmap: np.ndarray) -> GeoJSONParts:
    """An RFC 7946 FeatureCollection with one Point feature per incident: UTF-8, in parts.

    Joined, the parts are the file; :mod:`mapgen.atomic` writes them as they
    come, so a large dataset is never held as one string, and as their sizes
    are known before they are made, two processes can make and write them
    at once (:meth:`mapgen.atomic.OutputSet.write_shared`).

    Properties carry everything known about the incident and its place, so a
    GIS user can filter by tag, date or status without the map.

    The bytes equal ``json.dumps(collection, ensure_ascii=False,
    separators=(",", ":")).encode()`` of the features, but the parts that
    repeat (a place, a set of tags, a date, a source) are encoded once, and the
    texts are copied as they are stored. Carried columns the GeoJSON shows
    (``fatalities``…) follow ``url``.
    """
    return GeoJSONParts(ds, offmap)


@dataclass
class _Coded:
    """Each row's piece is ``pieces[codes[row]]``."""

    pieces: list[bytes]
    codes: np.ndarray

    def block(self, rows: slice) -> list[bytes]:
        pieces = self.pieces
        return [pieces[c] for c in self.codes[rows].tolist()]

    def sizes(self) -> np.ndarray:
        return np.array([len(p) for p in self.pieces], dtype=np.int64)[self.codes]


@dataclass
class _Stored:
    """A key, then each row's text as the text store keeps it (JSON), ``null`` for an empty one."""

    key: bytes
    texts: TextStore
    column: str
    empty: bytes = b"null"

    def block(self, rows: slice) -> list[bytes]:
        key, empty = self.key, self.empty
        return [key + (empty if t == b'""' else t) for t in self.texts.encoded(self.column, rows)]

    def sizes(self) -> np.ndarray:
        sizes = self.texts.lengths(self.column)
        return len(self.key) + np.where(sizes == 2, len(self.empty), sizes)


@dataclass
class _Numbers:
    """A key, then each row's whole number (``null`` for NaN), then ``end``."""

    key: bytes
    values: np.ndarray  # float; NaN where empty
    end: bytes = b""

    def block(self, rows: slice) -> list[bytes]:
        key, end = self.key, self.end
        return [key + (b"null" if v != v else b"%d" % v) + end for v in self.values[rows].tolist()]

    def sizes(self) -> np.ndarray:
        values = np.asarray(self.values, dtype=float)
        given = values == values
        digits = 1 + sum((values >= 10.0 ** k).astype(np.int64) for k in range(1, 20))
        return len(self.key) + len(self.end) + np.where(given, digits, 4)


class GeoJSONParts:
    """The GeoJSON file as parts: its opening, a part per :data:`BLOCK` incidents, its end.

    Each feature is the same columns of pieces in turn; :meth:`sizes` adds up
    the lengths of the same pieces, so the size of every part is known before
    any is made. What the parts share is prepared when one is first asked for.
    """

    OPEN = b'{"type":"FeatureCollection","features":['

    def __init__(self, ds: Dataset, offmap: np.ndarray) -> None:
        self.ds, self.offmap = ds, offmap
        self.rows = len(ds.rows)
        self._columns: list[_Coded | _Stored | _Numbers] | None = None

    def __len__(self) -> int:
        return 2 + -(-self.rows // BLOCK)

    def __iter__(self) -> Iterator[bytes]:
        return (self[k] for k in range(len(self)))

    def __getitem__(self, k: int) -> bytes:
        if k == 0:
            return self.OPEN
        if k == len(self) - 1:
            return self._end()
        rows = slice((k - 1) * BLOCK, min(self.rows, k * BLOCK))
        columns = [column.block(rows) for column in self.columns()]
        if rows.stop == self.rows:
            columns[-1][-1] = columns[-1][-1][:-1]  # no comma after the last feature
        pieces: list[bytes] = [b""] * (len(columns) * len(columns[0]))
        for j, column in enumerate(columns):
            pieces[j::len(columns)] = column
        return b"".join(pieces)

    def sizes(self) -> list[int]:
        """The size in bytes of each part."""
        per_row = sum(column.sizes() for column in self.columns()) if self.rows else np.zeros(0, np.int64)
        if self.rows:
            per_row[-1] -= 1  # the comma after the last feature
        blocks = np.add.reduceat(per_row, np.arange(0, self.rows, BLOCK)) if self.rows else []
        return [len(self.OPEN), *np.asarray(blocks, dtype=np.int64).tolist(), len(self._end())]

    def columns(self) -> list[_Coded | _Stored | _Numbers]:
        """The pieces of a feature in order, for every row."""
        if self._columns is None:
            self._columns = self._prepare()
        return self._columns

    def _prepare(self) -> list[_Coded | _Stored | _Numbers]:
        ds, offmap = self.ds, self.offmap
        taxonomy = load_taxonomy()
        places, rows = ds.places, ds.rows
        lon, lat = coordinates(places["lon"]), coordinates(places["lat"])
        radius = places["radius_m"].fillna(0).round().astype(int).tolist()
        offmap_list = offmap.tolist()
        # what an incident shares with its place: before and after its own properties
        heads = [
            b'{"type":"Feature","geometry":' + _point(lon[p], lat[p]) + b',"properties":{"place":'
            + orjson.dumps(name)
            for p, name in enumerate(places["place"].tolist())
        ]
        of_place = [c for c in carried_columns(ds, "geojson") if c.level == "place"]
        tails = [
            b',"precision":' + orjson.dumps(precision) + b',"uncertainty_m":' + orjson.dumps(radius[p])
            + b',"aliases":' + orjson.dumps(aliases) + b',"location_source":' + orjson.dumps(loc)
            + b',"off_map":' + orjson.dumps(offmap_list[p])
            + b"".join(b',"' + c.name.encode() + b'":' + orjson.dumps(plain(c, places[c.name].iat[p]))
                       for c in of_place)
            + b',"csv_line":'
            for p, (precision, aliases, loc) in enumerate(
                zip(places["precision"].tolist(), places["aliases"].tolist(), places["loc_source"].tolist()))
        ]
        tagsets = [b',"incidents":' + orjson.dumps(t) + b',"labels":'
                   + orjson.dumps([taxonomy[tag].label("en") for tag in t]) for t in rows.tagsets]
        day_codes, days = np.unique(rows.day, return_inverse=True)[::-1]
        carried = [c for c in carried_columns(ds, "geojson") if c.level == "incident"]
        return [
            _Coded(heads, rows.place),
            _Coded(tagsets, rows.tagset),
            _Coded([b',"date":' + orjson.dumps(d or None) for d in iso_days(days)], day_codes),
            _Coded([b',"date_precision":' + orjson.dumps(d or None) for d in ("",) + tuple(DATE_PRECISIONS)],
                   rows.date_precision),
            _Coded([b',"status":' + orjson.dumps(d) for d in STATUSES], rows.status),
            _Stored(b',"summary":', rows.texts, "summary", empty=b'""'),
            _Coded([b',"source":' + orjson.dumps(d) for d in rows.sources], rows.source),
            _Stored(b',"url":', rows.texts, "url"),
            *(_Numbers(b',"' + c.name.encode() + b'":', rows.counts[c.name]) if c.name in rows.counts
              else _Stored(b',"' + c.name.encode() + b'":', rows.texts, c.name) for c in carried),
            _Coded(tails, rows.place),
            _Numbers(b"", rows.line, end=b"}},"),
        ]

    def _end(self) -> bytes:
        places = self.ds.places
        end = b"]"
        if places["lat"].notna().any():
            bbox = [places["lon"].min(), places["lat"].min(), places["lon"].max(), places["lat"].max()]
            end += b',"bbox":[' + b",".join(_number(round(float(v), 6)) for v in bbox) + b"]"
        return end + b"}\n"


def _point(lon: float | None, lat: float | None) -> bytes:
    """A Point geometry; ``null`` for a place not yet located (RFC 7946 allows it)."""
    if lon is None or lat is None:
        return b"null"
    return b'{"type":"Point","coordinates":[' + _number(lon) + b"," + _number(lat) + b"]}"


def _number(value: float) -> bytes:
    """A coordinate as ``json.dumps`` writes it (``1e-05``, where orjson would write ``0.00001``)."""
    return float.__repr__(value).encode()
