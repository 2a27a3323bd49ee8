"""More file formats: KML and CSV exports of a built map, and adding rows to a places CSV.

:func:`render` is called by :func:`mapgen.build.build` for ``--format kml`` and
``--format csv``. Both exports hold one entry per place, in the order of the
places file, and the same data always gives the same bytes.

:func:`append_rows` adds rows to an existing places CSV in that file's own
format (encoding, byte-order mark, delimiter, line endings, column order), so
every byte already there stays as it was. The result is checked before it is
written, and it is written atomically.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import DataError, MapgenError, Problem
from .taxonomy import load_taxonomy

KML_NS = "http://www.opengis.net/kml/2.2"
#: Columns of ``places.csv`` written by ``--format csv``: one row per place.
EXPORT_COLUMNS = (
    "place", "lat", "lon", "precision", "uncertainty_m", "location_source", "off_map",
    "incident_count", "incidents", "statuses", "first_date", "last_date", "sources", "urls",
    "address", "aliases",
)
_PRECISION_TEXT = {
    "exact": "Exact location",
    "approximate": "Approximate location (within about {km} km)",
    "city": "Only the city is known (about {km} km)",
    "country": "Only the country is known",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(kind: str, ds: Dataset, offmap: np.ndarray) -> str:
    """The text of ``places.<kind>`` for ``kind`` ``"kml"`` or ``"csv"``."""
    if kind == "kml":
        return kml_text(ds, offmap)
    if kind == "csv":
        return csv_text(ds, offmap)
    raise MapgenError(f"unknown export format {kind!r}; use kml or csv.")


def _coord(value: float) -> str:
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


Columns = dict[str, list[Any]]


def _lists(frame: pd.DataFrame) -> Columns:
    """The columns of ``frame`` as plain lists (indexing those is fast)."""
    return {name: frame[name].tolist() for name in frame.columns}


def _per_place(ds: Dataset) -> list[list[int]]:
    """For each place, the positions of its incidents in file order."""
    groups: list[list[int]] = [[] for _ in range(len(ds.places))]
    for pos, p in enumerate(ds.incidents["place_idx"].tolist()):
        groups[int(p)].append(pos)
    return groups


def _kml_colour(hex_colour: str) -> str:
    """``#rrggbb`` as KML's ``aabbggrr``."""
    r, g, b = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"ff{b}{g}{r}".lower()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _description_html(pcol: Columns, icol: Columns, p: int, rows: list[int]) -> str:
    """The balloon of one place as HTML in which every piece of data is escaped.

    Google Earth treats a description as HTML, so the data is HTML-escaped
    here; the XML writer then escapes the whole string once more.
    """
    taxonomy = load_taxonomy()
    esc = html.escape
    radius_km = max(1, round(float(pcol["radius_m"][p] or 0) / 1000))
    precision = _PRECISION_TEXT.get(pcol["precision"][p], "").format(km=radius_km)
    parts = [f"<h3>{esc(str(pcol['place'][p]))}</h3>", f"<p><i>{esc(precision)}</i></p>"]
    for pos in rows:
        labels = ", ".join(taxonomy[t].label("en") for t in icol["tags"][pos]) or "Context"
        head = [labels, icol["date"][pos] or "date unknown", icol["status"][pos]]
        line = f"<p><b>{esc(head[0])}</b> · {esc(head[1])} · {esc(head[2])}"
        if icol["summary"][pos]:
            line += f"<br>{esc(icol['summary'][pos])}"
        source, url = icol["source"][pos], icol["url"][pos]
        if url:
            line += f'<br><a href="{esc(url)}">{esc(source or url)}</a>'
        elif source:
            line += f"<br>{esc(source)}"
        parts.append(line + "</p>")
    return "".join(parts)


def kml_text(ds: Dataset, offmap: np.ndarray) -> str:
    """A KML 2.2 document (Google Earth) with one Placemark per place.

    Each placemark is coloured by the most severe incident type of the place,
    spans the dates of its incidents (for Google Earth's time slider) and lists
    its incidents in its balloon; plain values go in ``ExtendedData``.
    """
    taxonomy = load_taxonomy()
    pcol, icol = _lists(ds.places), _lists(ds.incidents)
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(root, "Document")
    _sub(doc, "name", ds.config.title)
    if ds.config.description:
        _sub(doc, "description", ds.config.description)
    for tag in [*taxonomy.values(), None]:
        style = _sub(doc, "Style")
        style.set("id", f"type-{tag.tag}" if tag else "type-none")
        icon = _sub(style, "IconStyle")
        _sub(icon, "color", _kml_colour(tag.colour) if tag else "ff878787")
        balloon = _sub(style, "BalloonStyle")
        _sub(balloon, "text", "$[description]")
    for p, rows in enumerate(_per_place(ds)):
        tags = [t for pos in rows for t in icol["tags"][pos]]
        top = max(tags, key=lambda t: taxonomy[t].severity) if tags else None
        mark = _sub(doc, "Placemark")
        _sub(mark, "name", str(pcol["place"][p]))
        _sub(mark, "description", _description_html(pcol, icol, p, rows))
        dates = sorted(d for d in (icol["date"][pos] for pos in rows) if d)
        if dates:
            span = _sub(mark, "TimeSpan")
            _sub(span, "begin", dates[0])
            _sub(span, "end", dates[-1])
        _sub(mark, "styleUrl", f"#type-{top}" if top else "#type-none")
        extended = _sub(mark, "ExtendedData")
        values = {
            "incidents": ";".join(dict.fromkeys(tags)),
            "incident_count": str(len(rows)),
            "precision": str(pcol["precision"][p]),
            "uncertainty_m": str(int(round(float(pcol["radius_m"][p] or 0)))),
            "location_source": str(pcol["loc_source"][p]),
            "off_map": "1" if offmap[p] else "0",
        }
        for name, value in values.items():
            data = _sub(extended, "Data")
            data.set("name", name)
            _sub(data, "value", value)
        point = _sub(mark, "Point")
        _sub(point, "coordinates", f"{_coord(pcol['lon'][p])},{_coord(pcol['lat'][p])}")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])


def _safe_cell(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (a leading ' is added)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_text(ds: Dataset, offmap: np.ndarray) -> str:
    """One row per place: where it is, how sure, and what was reported there by whom.

    Text cells that a spreadsheet would read as a formula (``=``, ``+``, ``-``,
    ``@``) start with an apostrophe.
    """
    taxonomy = load_taxonomy()
    pcol, icol = _lists(ds.places), _lists(ds.incidents)
    order = {tag: k for k, tag in enumerate(taxonomy)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for p, rows in enumerate(_per_place(ds)):
        tags = sorted({t for pos in rows for t in icol["tags"][pos]}, key=order.__getitem__)
        dates = sorted(d for d in (icol["date"][pos] for pos in rows) if d)
        text = {
            "statuses": ";".join(dict.fromkeys(icol["status"][pos] for pos in rows)),
            "sources": "; ".join(dict.fromkeys(s for s in (icol["source"][pos] for pos in rows) if s)),
            "urls": " ".join(dict.fromkeys(u for u in (icol["url"][pos] for pos in rows) if u)),
            "address": str(pcol["address"][p]),
            "aliases": "; ".join(pcol["aliases"][p]),
        }
        writer.writerow([
            _safe_cell(str(pcol["place"][p])),
            _coord(pcol["lat"][p]), _coord(pcol["lon"][p]),
            pcol["precision"][p], int(round(float(pcol["radius_m"][p] or 0))),
            pcol["loc_source"][p], int(bool(offmap[p])), len(rows), ";".join(tags),
            text["statuses"], dates[0] if dates else "", dates[-1] if dates else "",
            _safe_cell(text["sources"]), text["urls"], _safe_cell(text["address"]),
            _safe_cell(text["aliases"]),
        ])
    return out.getvalue()


# --- adding rows to an existing places CSV -------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class CsvLayout:
    """How an existing places CSV is written, so new rows can match it."""

    bom: bytes
    codec: str
    delimiter: str
    newline: str
    columns: tuple[str, ...]  # header cells, lower-cased and stripped
    decimal_comma: bool


def read_layout(path: Path, encoding: str | None = None) -> tuple[CsvLayout, str]:
    """The layout of the CSV at ``path`` and its text (raises :class:`DataError` if unreadable)."""
    from .read import decode, sniff_delimiter

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(str(path), 0, None, None, "file not found.")]) from None
    text, used = decode(data, path, encoding)
    bom, codec = b"", used
    if used in ("utf-8-sig", "utf-16"):
        bom, codec = next(((m, n) for m, n in _BOMS if data.startswith(m)), (b"", "utf-8"))
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError([Problem(str(path), 0, None, None, "the file is empty; it needs a header row.")])
    delimiter = sniff_delimiter(lines[0])
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    columns = tuple(c.strip().lower() for c in header)
    decimal_comma = False
    if delimiter == ";" and "lat" in columns:
        index = columns.index("lat")
        for row in csv.reader(lines[1:], delimiter=delimiter):
            if index < len(row) and row[index].strip():
                decimal_comma = "," in row[index]
                break
    newline = "\r\n" if "\r\n" in text else ("\r" if "\r" in text and "\n" not in text else "\n")
    return CsvLayout(bom, codec, delimiter, newline, columns, decimal_comma), text


def format_rows(layout: CsvLayout, rows: Sequence[Mapping[str, str]]) -> str:
    """``rows`` as CSV text in ``layout``: cells in its column order, unknown keys dropped."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator=layout.newline)
    for row in rows:
        cells = []
        for column in layout.columns:
            value = str(row.get(column, "") or "")
            if layout.decimal_comma and column in ("lat", "lon"):
                value = value.replace(".", ",")
            cells.append(value)
        writer.writerow(cells)
    return out.getvalue()


def append_rows(path: str | Path, rows: Sequence[Mapping[str, str]], *, encoding: str | None = None,
                add_columns: Sequence[str] | None = None) -> int:
    """Add ``rows`` (column → text) at the end of the places CSV at ``path``.

    The existing bytes are kept; the rows follow the file's delimiter, line
    endings and encoding. Columns named in ``add_columns`` (default: the
    columns mapgen reads that have a value in some row) that the header lacks
    are added at the end of the header line, the only change to existing text,
    so that no value is lost (a candidate's status, an event id). The new file
    is checked like ``mapgen validate`` before it replaces the old one
    atomically; if it has problems, nothing is written. Returns the number of
    rows added.
    """
    from .config import load_config
    from .atomic import write_atomic
    from .read import COLUMNS, EXTRA_COLUMNS, parse_text
    from .validate import validate

    path = Path(path)
    layout, text = read_layout(path, encoding)
    if not rows:
        return 0
    if add_columns is None:
        add_columns = [c for c in COLUMNS + EXTRA_COLUMNS if any(str(r.get(c) or "") for r in rows)]
    missing = [c for c in add_columns if c not in layout.columns]
    if missing:
        end = _header_end(text)
        text = text[:end] + "".join(layout.delimiter + c for c in missing) + text[end:]
        layout = CsvLayout(layout.bom, layout.codec, layout.delimiter, layout.newline,
                           layout.columns + tuple(missing), layout.decimal_comma)
    if text and not text.endswith(("\n", "\r")):
        text += layout.newline
    text += format_rows(layout, rows)
    try:
        validate(parse_text(text, path), load_config(path))
    except DataError as exc:
        raise DataError(exc.problems, hint=f"{path.name} was not changed.") from None
    write_atomic(path, layout.bom + text.encode(layout.codec), user_file=True)
    return len(rows)


def _header_end(text: str) -> int:
    """Offset of the end of the header line (before its line break)."""
    start = 0
    while True:
        end = len(text)
        for mark in ("\r", "\n"):
            found = text.find(mark, start)
            if found != -1:
                end = min(end, found)
        if text[start:end].strip() or end == len(text):
            return end
        start = end + 1
