"""The checked data: places and the incidents reported at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .columns import column
from .config import Config

if TYPE_CHECKING:  # pandas is imported by whoever makes a Dataset
    import pandas as pd

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
    columns the file carries. ``incidents`` has one row per CSV row:
    ``place_idx`` (row of ``places``), ``tags (list[str])``, ``date``
    (``YYYY-MM-DD`` or ``""``), ``date_precision, status, summary, source, url,
    line`` and the incident-level columns the file carries (a ``count`` column
    as pandas' ``Int64``, ``<NA>`` where empty). See :mod:`mapgen.columns`.
    """

    path: Path
    places: pd.DataFrame
    incidents: pd.DataFrame
    config: Config = field(default_factory=Config)

    @property
    def located(self) -> pd.Series:
        """Places that have coordinates."""
        return self.places["lat"].notna() & self.places["lon"].notna()
