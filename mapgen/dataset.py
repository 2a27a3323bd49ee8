"""The checked data: places and the incidents reported at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .columns import column
from .config import Config

if TYPE_CHECKING:  # pandas is imported by whoever makes a Dataset
    import pandas as pd

    from .incidents import Incidents
    from .page.languages import Translation

#: The choices of these columns (``data/columns.csv``), finest or surest first.
PRECISIONS = column("precision").choices
DATE_PRECISIONS = column("date_precision").choices
STATUSES = column("status").choices

#: Default radius of the uncertainty circle drawn around a place, in metres.
DEFAULT_RADIUS_M = {"exact": 0, "approximate": 1000, "city": 8000, "country": 0}


@dataclass
class Dataset:
    """A checked places file.

    ``places`` has one row per place: ``place, address, lat, lon, precision,
    radius_m, aliases (list[str]), line, loc_source`` and the place-level
    columns the file carries. ``rows`` holds the incidents compactly, one per
    CSV row (:class:`mapgen.incidents.Incidents`); :attr:`incidents` gives them
    as a DataFrame: ``place_idx`` (row of ``places``), ``tags (list[str])``,
    ``date`` (``YYYY-MM-DD`` or ``""``), ``date_precision, status, summary,
    source, url, line`` and the incident-level columns the file carries (a
    ``count`` column as pandas' ``Int64``, ``<NA>`` where empty). See
    :mod:`mapgen.columns`.
    """

    path: Path
    places: pd.DataFrame
    rows: Incidents
    config: Config = field(default_factory=Config)
    #: set on the data of a map in another language than the data's (mapgen.page.languages)
    translation: Translation | None = None

    @property
    def located(self) -> pd.Series:
        """Places that have coordinates."""
        return self.places["lat"].notna() & self.places["lon"].notna()

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """The incidents as a DataFrame of plain values (made when first asked for: a large file takes room)."""
        import numpy as np
        import pandas as pd

        from .columns import columns

        rows = self.rows
        tagsets = [list(t) for t in rows.tagsets]
        texts = set(rows.texts.columns)
        data: dict[str, object] = {"place": self.places["place"].to_numpy(dtype=object)[rows.place]}
        for col in columns().values():
            if col.level != "incident":
                continue
            name = col.name
            if name == "incidents":
                data["tags"] = pd.Series([tagsets[t] for t in rows.tagset.tolist()], dtype=object)
            elif name == "date":
                data["date"] = rows.dates()
            elif name == "date_precision":
                data["date_precision"] = np.array(("",) + DATE_PRECISIONS, dtype=object)[rows.date_precision]
            elif name == "status":
                data["status"] = np.array(STATUSES, dtype=object)[rows.status]
            elif name == "source":
                data["source"] = np.array(rows.sources + [""], dtype=object)[rows.source]
            elif name in rows.counts:
                data[name] = pd.array(rows.counts[name], dtype="Int64")
            elif name in texts:
                data[name] = rows.texts.values(name)
        data["line"] = rows.line.astype(np.int64)
        data["place_idx"] = rows.place.astype(np.int64)
        frame = pd.DataFrame({k: (v if isinstance(v, pd.Series) else list(v) if isinstance(v, list) else v)
                              for k, v in data.items()})
        for name in ("place", "date", "date_precision", "status", "source", *texts):
            if name in frame:
                frame[name] = frame[name].astype(object)
        return frame
