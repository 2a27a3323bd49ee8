"""The map page: its data (:mod:`.data`), drawn by folium (:mod:`.render`) around the pinned
scripts (:mod:`.assets`), the page around the data kept between builds (:mod:`.cache`), and a
folder for web hosting (:mod:`.site`)."""

from __future__ import annotations

from typing import Any

from ..dataset import Dataset


def page_parts(ds: Dataset, lang: str, self_contained: bool, offmap: Any) -> list[bytes]:
    """``map.html`` in pieces of UTF-8; folium is imported only if the page cache lacks this page."""
    from . import cache
    from .data import incident_order, page_data, page_texts, script_json

    order = incident_order(ds)
    data = page_data(ds, lang, offmap, order=order)
    return cache.page_parts(script_json(data), script_json(page_texts(ds, order)), title=data["meta"]["title"],
                            lang=lang, strings=data["i18n"], mode="inline" if self_contained else "cdn",
                            cache=cache.cache_dir())


def make_map(ds: Dataset, lang: str = "en", self_contained: bool = False) -> Any:
    """The folium map of ``ds`` (for notebooks: it displays itself)."""
    from .data import incident_order, page_data, page_texts
    from .render import make_map as _make_map  # folium is imported only now

    order = incident_order(ds)
    return _make_map(page_data(ds, lang, order=order), page_texts(ds, order), self_contained=self_contained)
