"""The baseline: the straightforward folium map that issue 5 measures mapgen against.

One ``folium.Marker`` with a ``folium.Popup`` per CSV row, one
``folium.FeatureGroup`` per incident type, a layer control, ``Map.save``.
This is how such a map is usually written by hand; it is what mapgen replaces.

Run ``python bench/naive.py places.csv out.html``.
"""

from __future__ import annotations

import html
import sys

import folium
import pandas as pd


def build_naive(csv_path: str, out_path: str) -> None:
    """Write the naive folium map of ``csv_path`` to ``out_path``."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    # a place's coordinates are given on some of its rows: use them on every row
    for column in ("lat", "lon"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = numbers.groupby(frame["place"]).transform("first")
    frame = frame.dropna(subset=["lat", "lon"])
    fmap = folium.Map(location=[frame["lat"].median(), frame["lon"].median()], zoom_start=6)
    groups: dict[str, folium.FeatureGroup] = {}
    for row in frame.itertuples(index=False):
        tag = (row.incidents.split(";")[0].strip() or "context")
        if tag not in groups:
            groups[tag] = folium.FeatureGroup(name=tag).add_to(fmap)
        text = (f"<b>{html.escape(row.place)}</b><br>{html.escape(row.date)} · {html.escape(row.status)}"
                f"<br>{html.escape(row.summary)}<br><i>{html.escape(row.source)}</i>")
        folium.Marker([row.lat, row.lon], popup=folium.Popup(text, max_width=300),
                      tooltip=row.place).add_to(groups[tag])
    folium.LayerControl().add_to(fmap)
    fmap.save(out_path)


if __name__ == "__main__":
    build_naive(sys.argv[1], sys.argv[2])
