"""A map in another language than its data: the data's language variants, or its own words, marked.

``places.csv`` is written in one language (``lang`` in ``mapgen.toml``). A
column marked ``translated`` in ``data/columns.csv`` may come in variants
(``place_de``, ``summary_de``), and ``mapgen.toml`` may give ``title_de`` and
``description_de``. A map in German shows those, and where a variant's cell
is empty the main cell, which the page marks as being in the data's language.
The main name of a place stays findable: it joins the place's other names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..dataset import Dataset


@dataclass(frozen=True)
class Translation:
    """What a map in ``lang`` took from the variants, and where it fell back to the data's own language."""

    lang: str
    data_lang: str
    place_fallback: np.ndarray  # per place: the name is the main one (no variant in lang)
    summary: str                # the text column the summaries come from ("summary_de")
    summary_fallback: np.ndarray  # per incident: the summary is the main one


def translated(ds: Dataset, lang: str) -> Dataset:
    """``ds`` as a map in ``lang`` shows it (``ds`` itself when ``lang`` is the data's language)."""
    data_lang = ds.config.lang
    if lang == data_lang:
        return ds
    places = ds.places.copy()
    own = places[f"place_{lang}"].to_numpy(dtype=object) if f"place_{lang}" in places else \
        np.full(len(places), "", dtype=object)
    place_fallback = own == ""
    main = places["place"].to_numpy(dtype=object)
    places["place"] = pd.Series(np.where(place_fallback, main, own), dtype=object)
    places["aliases"] = pd.Series([aliases if fallback else [name, *aliases]  # the main name stays findable
                                   for name, aliases, fallback in zip(main, places["aliases"], place_fallback)],
                                  dtype=object)
    column = f"summary_{lang}"
    if column in ds.rows.texts.columns:
        summary_fallback = np.array([v == b'""' for v in ds.rows.texts.encoded(column)], dtype=bool)
    else:
        column, summary_fallback = "summary", np.ones(len(ds.rows), dtype=bool)
    return replace(ds, places=places, config=ds.config.in_language(lang),
                   translation=Translation(lang, data_lang, place_fallback, column, summary_fallback))
