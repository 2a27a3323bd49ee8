"""The map page: its data (:mod:`.data`), drawn by folium (:mod:`.render`) around the pinned
scripts (:mod:`.assets`), the page around the data kept between builds (:mod:`.cache`), and a
folder for web hosting (:mod:`.site`)."""

from __future__ import annotations

from typing import Any, Iterator

from ..dataset import Dataset


def page_parts(ds: Dataset, lang: str, self_contained: bool, offmap: Any) -> Iterator[bytes]:
    """``map.html`` in pieces of UTF-8, made as they are written; folium only if the page cache lacks the page."""
    from . import cache
    from .data import incident_order, inline_texts, page_data, script_json

    order = incident_order(ds)
    data = page_data(ds, lang, offmap, order=order)
    title, mark = data["meta"]["title"], cache.TEXTS_MARK.encode()
    later = mark if cache.MARK not in title and cache.TEXTS_MARK not in title else b"".join(inline_texts(ds, order))
    parts = cache.page_parts(script_json(data), later, title=title, lang=lang, strings=data["i18n"],
                             mode="inline" if self_contained else "cdn", cache=cache.cache_dir())
    del data
    for part in parts:  # the texts, the largest part, are made as they are written
        if part is later and later is mark:
            yield from inline_texts(ds, order)
        else:
            yield part


def make_map(ds: Dataset, lang: str = "en", self_contained: bool = False) -> Any:
    """The folium map of ``ds`` (for notebooks: it displays itself)."""
    from .data import incident_order, inline_texts, page_data
    from .languages import translated
    from .render import make_map as _make_map  # folium is imported only now

    ds = translated(ds, lang)
    order = incident_order(ds)
    texts = b"".join(inline_texts(ds, order)).decode("utf-8")
    return _make_map(page_data(ds, lang, order=order), texts, self_contained=self_contained)
