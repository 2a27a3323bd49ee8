"""The page around the data, rendered by folium once and reused.

``map.html`` is folium's page with the data JSON in one place
(:class:`mapgen.render.IncidentLayer`). Everything else in it depends only on
the title, the language, whether the assets are inlined, and the code that
renders it (mapgen's own files and the installed folium, branca, Jinja2 and
xyzservices). So folium renders that page once with a marker where the data
goes; the result is kept in ``~/.cache/mapgen/pages`` (or
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

#: Where the data goes in a cached page. It cannot occur in the data JSON
#: (JSON writes control characters as ``\\u0000``).
MARK = "\x00mapgen-page-data\x00"
_MARK_BYTES = MARK.encode()

#: Pages kept in the cache; older ones are removed when a new one is stored.
KEEP = 32

#: Libraries whose installed version shapes the page.
RENDERERS = ("folium", "branca", "jinja2", "xyzservices")


def cache_dir() -> Path:
    """The page cache: ``$MAPGEN_PAGE_CACHE`` if set, else ``~/.cache/mapgen/pages``."""
    env = os.environ.get("MAPGEN_PAGE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mapgen" / "pages"


def page_text(data_json: str, *, title: str, lang: str, strings: dict[str, str], self_contained: bool,
              cache: Path | None) -> str:
    """``map.html`` for page data encoded by :func:`mapgen.payload.to_script_json`.

    With ``cache`` (a folder), the page around the data is taken from there
    when present and stored there when not; with ``None`` folium renders it.
    """
    return b"".join(page_parts(data_json.encode("utf-8"), title=title, lang=lang, strings=strings,
                               self_contained=self_contained, cache=cache)).decode("utf-8")


def page_parts(data_json: bytes, *, title: str, lang: str, strings: dict[str, str], self_contained: bool,
               cache: Path | None) -> list[bytes]:
    """:func:`page_text` for data encoded by :func:`mapgen.payload.script_json`, as UTF-8 pieces.

    Joined, the pieces are the page; the data is not copied into one string.
    """
    if cache is None:
        return [_render(data_json.decode("utf-8"), title, lang, strings, self_contained).encode("utf-8")]
    path = cache / f"{_key(title, lang, strings, self_contained)}.html"
    shell = _read(path)
    if shell is None:
        text = _render(MARK, title, lang, strings, self_contained)
        if text.count(MARK) != 1:  # the title itself holds the mark: render this one in full
            return [_render(data_json.decode("utf-8"), title, lang, strings, self_contained).encode("utf-8")]
        shell = text.encode("utf-8")
        _store(path, shell)
    head, tail = shell.split(_MARK_BYTES)
    return [head, data_json, tail]


def _render(data_json: str, title: str, lang: str, strings: dict[str, str], self_contained: bool) -> str:
    from .render import page_html, page_map  # folium

    return page_html(page_map(data_json, title, strings, self_contained=self_contained), lang)


def _read(path: Path) -> bytes | None:
    try:
        shell = path.read_bytes()  # bytes, as written: \r\n stays \r\n
        shell.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return shell if shell.count(_MARK_BYTES) == 1 else None


def _store(path: Path, shell: bytes) -> None:
    """Keep ``shell``, and only the newest :data:`KEEP` pages; a cache that cannot be written is skipped."""
    try:
        write_atomic(path, shell)
        pages = sorted(path.parent.glob("*.html"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in pages[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, OutputError):
        pass


def _key(title: str, lang: str, strings: dict[str, str], self_contained: bool) -> str:
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(json.dumps([title, lang, strings, self_contained], sort_keys=True).encode())
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


__all__ = ["cache_dir", "page_text", "page_parts", "MARK"]
