"""The map page: its data (:mod:`.data`), drawn by folium (:mod:`.render`) around the pinned
scripts (:mod:`.assets`), the page around the data kept between builds (:mod:`.cache`)."""

from __future__ import annotations

from typing import Any

from ..dataset import Dataset


def page_parts(ds: Dataset, lang: str, self_contained: bool, offmap: Any) -> list[bytes]:
    """``map.html`` in pieces of UTF-8; folium is imported only if the page cache lacks this page."""
    from . import cache
    from .data import page_data, script_json

    data = page_data(ds, lang, offmap)
    return cache.page_parts(script_json(data), title=data["meta"]["title"], lang=lang, strings=data["i18n"],
                            self_contained=self_contained, cache=cache.cache_dir())


def make_map(ds: Dataset, lang: str = "en", self_contained: bool = False) -> Any:
    """The folium map of ``ds`` (for notebooks: it displays itself)."""
    from .data import page_data
    from .render import make_map as _make_map  # folium is imported only now

    return _make_map(page_data(ds, lang), self_contained=self_contained)
