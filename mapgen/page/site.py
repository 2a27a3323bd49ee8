"""A folder any static web host serves as it is: the map for large datasets and for hosting.

``index.html`` holds the page without its data; ``data/map.json`` is what
the first view needs (the places, and each incident as a few numbers; see
``docs/page-data.md``), ``data/texts/N.json`` the incidents' texts in
chunks, fetched when a popup, a card or the list needs them; ``assets/``
the pinned scripts, styles and font, each checked by the browser against
its hash. No server code: a reader's browser and the host are the only
moving parts. ``mapgen serve`` serves the folder on this machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..atomic import Data
from ..dataset import Dataset

#: Incidents per chunk of texts: a popup or a card fetches one or two (about half a megabyte each).
CHUNK = 2_000
#: Where the texts go, relative to the site's folder.
TEXTS = "data/texts/"
_CHUNK_FILE = re.compile(r"\d+\.json")


def site_files(ds: Dataset, lang: str, offmap: Any) -> dict[str, Data]:
    """Every file of the site, by its path relative to the site's folder."""
    from . import assets, cache
    from .data import incident_order, page_data, page_texts, script_json
    from .render import SITE_DATA

    order = incident_order(ds)
    n = len(order)
    chunks = max(1, -(-n // CHUNK))
    data = page_data(ds, lang, offmap, order=order, texts={"chunk": CHUNK, "base": TEXTS})
    files: dict[str, Data] = {
        "index.html": cache.page_parts(b"", title=data["meta"]["title"], lang=lang, strings=data["i18n"],
                                       mode="site", cache=cache.cache_dir()),
        SITE_DATA: script_json(data),
    }
    for k in range(chunks):
        files[f"{TEXTS}{k}.json"] = script_json(page_texts(ds, order, slice(k * CHUNK, (k + 1) * CHUNK)))
    for path, content in assets.copy_to_site(Path(".")):
        files[path.as_posix()] = content
    return files


def stale_chunks(folder: Path, written: set[str]) -> list[Path]:
    """Chunks of texts an earlier, larger build left in ``folder`` that this one did not write."""
    texts = folder / TEXTS
    if not texts.is_dir():
        return []
    return [p for p in texts.iterdir() if _CHUNK_FILE.fullmatch(p.name) and f"{TEXTS}{p.name}" not in written]
