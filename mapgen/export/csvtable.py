"""The CSV export: one row per place, where it is, how sure, and what was reported there by whom.

The same data always gives the same bytes.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from ..dataset import Dataset
from ..taxonomy import load_taxonomy
from .common import carried_columns, coord, for_place, lists, per_place

#: Columns of the exported ``places.csv``, before the carried ones (``fatalities``…).
EXPORT_COLUMNS = (
    "place", "lat", "lon", "precision", "uncertainty_m", "location_source", "off_map",
    "incident_count", "incidents", "statuses", "first_date", "last_date", "sources", "urls",
    "address", "aliases",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (a leading ' is added)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_text(ds: Dataset, offmap: np.ndarray) -> str:
    """One row per place: where it is, how sure, and what was reported there by whom.

    Text cells that a spreadsheet would read as a formula (``=``, ``+``, ``-``,
    ``@``) start with an apostrophe.
    """
    taxonomy = load_taxonomy()
    pcol, icol = lists(ds.places), lists(ds.incidents)
    extra = carried_columns(ds, "csv")
    order = {tag: k for k, tag in enumerate(taxonomy)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS + tuple(c.name for c in extra))
    for p, rows in enumerate(per_place(ds)):
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
            coord(pcol["lat"][p]), coord(pcol["lon"][p]),
            pcol["precision"][p], int(round(float(pcol["radius_m"][p] or 0))),
            pcol["loc_source"][p], int(bool(offmap[p])), len(rows), ";".join(tags),
            text["statuses"], dates[0] if dates else "", dates[-1] if dates else "",
            _safe_cell(text["sources"]), text["urls"], _safe_cell(text["address"]),
            _safe_cell(text["aliases"]),
            *(_safe_cell(for_place(c, pcol, icol, p, rows)) for c in extra),
        ])
    return out.getvalue()
