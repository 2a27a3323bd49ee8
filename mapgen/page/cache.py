"""The page around the data, rendered by folium once and reused.

``map.html`` is folium's page with the data JSON and the texts JSON in one
place each (:class:`mapgen.page.render.IncidentLayer`). Everything else in it
depends only on the title, the language, where the pinned scripts come from,
and the code that renders it (mapgen's own files and the installed folium,
branca, Jinja2 and xyzservices). So folium renders that page once with a
marker where the data goes; the result is kept in ``~/.cache/mapgen/pages`` (or
``$MAPGEN_PAGE_CACHE``) under a hash of all of the above, and later builds fill
in the data without importing folium, which saves about half a second per
build. The bytes are the same as a full render; the tests check that.

Anything wrong with the cache (unreadable, unwritable, damaged) only means
folium renders the page again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

from ..atomic import write_atomic
from ..errors import OutputError

#: Where the data and the texts go in a cached page. They cannot occur in JSON
#: (JSON writes control characters as ``\\u0000``).
MARK = "\x00mapgen-page-data\x00"
TEXTS_MARK = "\x00mapgen-page-texts\x00"
_MARKS = (MARK.encode(), TEXTS_MARK.encode())

#: Pages kept in the cache; older ones are removed when a new one is stored.
KEEP = 32

#: Libraries whose installed version shapes the page.
RENDERERS = ("folium", "branca", "jinja2", "xyzservices")


def cache_dir() -> Path:
    """The page cache: ``$MAPGEN_PAGE_CACHE`` if set, else ``~/.cache/mapgen/pages``."""
    env = os.environ.get("MAPGEN_PAGE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mapgen" / "pages"


def page_text(data_json: str, texts_json: str | None = None, *, title: str, lang: str,
              strings: dict[str, str], mode: str = "cdn", cache: Path | None) -> str:
    """``map.html`` for page data encoded by :func:`mapgen.page.data.to_script_json`.

    With ``cache`` (a folder), the page around the data is taken from there
    when present and stored there when not; with ``None`` folium renders it.
    ``mode`` is where the pinned scripts come from (:func:`mapgen.page.render.page_map`).
    """
    return b"".join(page_parts(data_json.encode("utf-8"), (texts_json or "").encode("utf-8"), title=title,
                               lang=lang, strings=strings, mode=mode, cache=cache)).decode("utf-8")


def page_parts(data_json: bytes, texts_json: bytes = b"", *, title: str, lang: str, strings: dict[str, str],
               mode: str = "cdn", cache: Path | None) -> list[bytes]:
    """:func:`page_text` for data encoded by :func:`mapgen.page.data.script_json`, as UTF-8 pieces.

    Joined, the pieces are the page; the data is not copied into one string.
    A site's page links to its data instead of holding it.
    """
    site = mode == "site"

    def full() -> list[bytes]:
        return [_render(data_json.decode("utf-8"), texts_json.decode("utf-8"), title, lang, strings, mode)
                .encode("utf-8")]

    if cache is None:
        return full()
    path = cache / f"{_key(title, lang, strings, mode)}.html"
    shell = _read(path, 0 if site else 2)
    if shell is None:
        text = _render(MARK, TEXTS_MARK, title, lang, strings, mode)
        if not site and (text.count(MARK) != 1 or text.count(TEXTS_MARK) != 1):
            return full()  # the title itself holds a mark: render this one in full
        shell = text.encode("utf-8")
        _store(path, shell)
    if site:
        return [shell]
    head, rest = shell.split(_MARKS[0])
    middle, tail = rest.split(_MARKS[1])
    return [head, data_json, middle, texts_json, tail]


def _render(data_json: str, texts_json: str, title: str, lang: str, strings: dict[str, str], mode: str) -> str:
    from .render import page_html, page_map  # folium

    return page_html(page_map(data_json, texts_json, title, strings, mode=mode), lang)


def _read(path: Path, marks: int) -> bytes | None:
    try:
        shell = path.read_bytes()  # bytes, as written: \r\n stays \r\n
        shell.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    whole = all(shell.count(mark) == (1 if marks else 0) for mark in _MARKS)
    return shell if whole else None


def _store(path: Path, shell: bytes) -> None:
    """Keep ``shell``, and only the newest :data:`KEEP` pages; a cache that cannot be written is skipped."""
    try:
        write_atomic(path, shell)
        pages = sorted(path.parent.glob("*.html"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in pages[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, OutputError):
        pass


def _key(title: str, lang: str, strings: dict[str, str], mode: str) -> str:
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(json.dumps([title, lang, strings, mode], sort_keys=True).encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A hash of what renders the page: mapgen's files, and which folium, branca… are installed.

    An installed library is identified by the path, size and time of its
    ``__init__.py``, which change when another version is installed; reading
    their version numbers would cost more than this saves.
    """
    digest = hashlib.sha256()
    package = Path(__file__).parents[1]  # all of mapgen
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".js", ".css", ".json", ".csv", ".txt"):
            digest.update(f"{path.relative_to(package)}\0".encode())
            digest.update(path.read_bytes())
    for name in RENDERERS:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        stat = os.stat(origin) if origin else None
        digest.update(f"{name}\0{origin}\0{stat and (stat.st_size, stat.st_mtime_ns)}\0".encode())
    return digest.hexdigest()


__all__ = ["cache_dir", "page_text", "page_parts", "MARK", "TEXTS_MARK"]
