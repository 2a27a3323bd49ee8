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
from typing import Any, Iterator

from ..atomic import Data
from ..dataset import Dataset

#: Where the texts go, relative to the site's folder.
TEXTS = "data/texts/"
_CHUNK_FILE = re.compile(r"\d+\.json")


def site_files(ds: Dataset, lang: str, offmap: Any) -> Iterator[tuple[str, Data]]:
    """Every file of the site: its path relative to the site's folder, and its content (made as it is asked for)."""
    from . import assets, cache
    from .data import CHUNK, incident_order, page_data, script_json, texts_json
    from .render import SITE_DATA

    order = incident_order(ds)
    chunks = max(1, -(-len(order) // CHUNK))
    data = page_data(ds, lang, offmap, order=order, texts={"chunk": CHUNK, "base": TEXTS})
    yield "index.html", cache.page_parts(b"", title=data["meta"]["title"], lang=lang, strings=data["i18n"],
                                         mode="site", cache=cache.cache_dir())
    yield SITE_DATA, script_json(data)
    del data
    for k in range(chunks):
        yield f"{TEXTS}{k}.json", texts_json(ds, order, slice(k * CHUNK, (k + 1) * CHUNK))
    for path, content in assets.copy_to_site(Path(".")):
        yield path.as_posix(), content


def stale_chunks(folder: Path, written: set[str]) -> list[Path]:
    """Chunks of texts an earlier, larger build left in ``folder`` that this one did not write."""
    texts = folder / TEXTS
    if not texts.is_dir():
        return []
    return [p for p in texts.iterdir() if _CHUNK_FILE.fullmatch(p.name) and f"{TEXTS}{p.name}" not in written]
