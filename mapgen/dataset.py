"""The checked data: places and the incidents reported at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config

if TYPE_CHECKING:  # pandas is imported by whoever makes a Dataset
    import pandas as pd

PRECISIONS = ("exact", "approximate", "city", "country")
DATE_PRECISIONS = ("day", "week", "month", "report")
STATUSES = ("confirmed", "reported", "unverified", "disputed", "candidate")

#: Default radius of the uncertainty circle drawn around a place, in metres.
DEFAULT_RADIUS_M = {"exact": 0, "approximate": 1000, "city": 8000, "country": 0}


@dataclass
class Dataset:
    """A checked places file.

    ``places`` has one row per place: ``place, address, lat, lon, precision,
    radius_m, aliases (list[str]), line`` plus, once located, ``loc_source``
    and ``loc_flags``. ``incidents`` has one row per CSV row: ``place_idx``
    (row of ``places``), ``tags (list[str])``, ``date`` (``YYYY-MM-DD`` or
    ``""``), ``date_precision, status, summary, source, url, line``.
    """

    path: Path
    places: pd.DataFrame
    incidents: pd.DataFrame
    config: Config = field(default_factory=Config)

    @property
    def located(self) -> pd.Series:
        """Places that have coordinates."""
        return self.places["lat"].notna() & self.places["lon"].notna()
