"""The KML export (Google Earth): one Placemark per place, in the order of the places file.

The same data always gives the same bytes.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

import numpy as np

from ..dataset import Dataset
from ..taxonomy import load_taxonomy
from .common import Columns, carried_columns, coord, for_place, lists, per_place, shown

KML_NS = "http://www.opengis.net/kml/2.2"
_PRECISION_TEXT = {
    "exact": "Exact location",
    "approximate": "Approximate location (within about {km} km)",
    "city": "Only the city is known (about {km} km)",
    "country": "Only the country is known",
}


def _kml_colour(hex_colour: str) -> str:
    """``#rrggbb`` as KML's ``aabbggrr``."""
    r, g, b = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"ff{b}{g}{r}".lower()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _description_html(pcol: Columns, icol: Columns, p: int, rows: list[int], extra: list) -> str:
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
        for column in (c for c in extra if c.level == "incident"):
            if shown(column, icol[column.name][pos]):
                line += f"<br>{esc(column.label('en'))}: {esc(shown(column, icol[column.name][pos]))}"
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
    pcol, icol = lists(ds.places), lists(ds.incidents)
    extra = carried_columns(ds, "kml")
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
    for p, rows in enumerate(per_place(ds)):
        tags = [t for pos in rows for t in icol["tags"][pos]]
        top = max(tags, key=lambda t: taxonomy[t].severity) if tags else None
        mark = _sub(doc, "Placemark")
        _sub(mark, "name", str(pcol["place"][p]))
        _sub(mark, "description", _description_html(pcol, icol, p, rows, extra))
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
        for column in extra:
            values[column.name] = for_place(column, pcol, icol, p, rows)
        for name, value in values.items():
            data = _sub(extended, "Data")
            data.set("name", name)
            _sub(data, "value", value)
        if pcol["lat"][p] == pcol["lat"][p]:  # a place not yet located has no point
            point = _sub(mark, "Point")
            _sub(point, "coordinates", f"{coord(pcol['lon'][p])},{coord(pcol['lat'][p])}")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])


