"""Writing outputs: GeoJSON text, and atomic file replacement for everything."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .dataset import Dataset
from .errors import OutputError
from .taxonomy import load_taxonomy


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and then renamed over ``path``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {path.parent}: {exc.strerror}. Check the folder and its permissions.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: Mapping[Path, bytes | str]) -> None:
    """Write several outputs; each atomically. Nothing is written if the first fails."""
    for path, data in files.items():
        write_atomic(path, data)


def geojson_text(ds: Dataset, offmap: np.ndarray) -> str:
    """An RFC 7946 FeatureCollection with one Point feature per incident.

    Properties carry everything known about the incident and its place, so a
    GIS user can filter by tag, date or status without the map.
    """
    taxonomy = load_taxonomy()
    places, incidents = ds.places, ds.incidents
    place_cols = {
        "lon": places["lon"].round(6).tolist(),
        "lat": places["lat"].round(6).tolist(),
        "precision": places["precision"].tolist(),
        "radius_m": places["radius_m"].fillna(0).round().astype(int).tolist(),
        "aliases": places["aliases"].tolist(),
        "loc_source": places["loc_source"].tolist(),
        "offmap": offmap.tolist(),
    }
    features = []
    columns = zip(incidents["place"], incidents["place_idx"], incidents["tags"], incidents["date"],
                  incidents["date_precision"], incidents["status"], incidents["summary"],
                  incidents["source"], incidents["url"], incidents["line"])
    for name, p, tags, date, dprec, status, summary, source, url, line in columns:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [place_cols["lon"][p], place_cols["lat"][p]]},
            "properties": {
                "place": name,
                "incidents": list(tags),
                "labels": [taxonomy[t].label("en") for t in tags],
                "date": date or None,
                "date_precision": dprec or None,
                "status": status,
                "summary": summary,
                "source": source,
                "url": url or None,
                "precision": place_cols["precision"][p],
                "uncertainty_m": place_cols["radius_m"][p],
                "aliases": place_cols["aliases"][p],
                "location_source": place_cols["loc_source"][p],
                "off_map": place_cols["offmap"][p],
                "csv_line": int(line),
            },
        })
    collection = {"type": "FeatureCollection", "features": features}
    if len(places):
        collection["bbox"] = [
            round(float(places["lon"].min()), 6), round(float(places["lat"].min()), 6),
            round(float(places["lon"].max()), 6), round(float(places["lat"].max()), 6),
        ]
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
