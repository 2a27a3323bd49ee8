"""A PNG of the map, for print and social media: ``mapgen snapshot``.

The map is drawn by the browser it was made for: headless Chromium, driven
through Playwright (an optional extra, ``pip install 'mapgen[snapshot]'``).
The page opens as ``map.html?embed``, so its panels are folded as in an
article; the picture is taken once the markers are drawn and the map tiles
have loaded or failed. With no internet the tiles fail, the basemap stays
blank, and the result says so.

Chromium is started with no background traffic of its own. The pinned
scripts a map loads from jsDelivr are given from the local asset cache when
``mapgen assets fetch`` has filled it, so a map that is not self-contained
can be drawn with no internet too. ``offline=True`` lets no request leave the
machine at all (nor a DNS lookup).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

from ..errors import MapgenError

#: Tried when neither ``chromium`` nor ``$MAPGEN_CHROMIUM`` names one (Debian's package).
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Sizes Chromium draws reliably in one piece, in CSS pixels.
MIN_SIZE, MAX_SIZE = 100, 8192
#: Seconds the map may take to draw its markers.
READY_TIMEOUT = 60.0

NO_PLAYWRIGHT = ("mapgen snapshot draws the map with Chromium through Playwright, which is not installed; "
                 "install it with: pip install 'mapgen[snapshot]'")

#: No updates, sync, metrics or QUIC probes: the picture is the only thing this browser is for.
QUIET_CHROMIUM = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
#: With ``offline``: no host but this machine can even be looked up.
NO_INTERNET = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
_LOCAL_SCHEMES = {"file", "data", "blob"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class SnapshotError(MapgenError, RuntimeError):
    """The picture could not be taken: Playwright or Chromium is missing, or the map did not draw."""


@dataclass(frozen=True)
class Snapshot:
    """What :func:`snapshot` made: the PNG, what it shows, and what the reader of the command should know."""

    out: Path
    width: int
    height: int
    source: Path             # the map.html, folder or CSV it was made of
    tiles: int               # map tiles on the picture's basemap ...
    tiles_failed: int        # ... of which could not be loaded
    tiles_pending: int       # ... of which were still loading when the picture was taken
    notes: tuple[str, ...]   # for stderr: the blank basemap, checks from building a CSV

    @property
    def summary(self) -> str:
        """One line for the terminal."""
        return f"{self.out}: {self.width}×{self.height} PNG of {self.source}"


def snapshot(
    path: str | Path,
    out: str | Path = "map.png",
    *,
    width: int = 1200,
    height: int = 630,
    lang: str | None = None,
    wait_tiles: float = 15.0,
    offline: bool = False,
    geocode: bool = False,
    encoding: str | None = None,
    chromium: str | Path | None = None,
    chromium_args: Sequence[str] = (),
    start_playwright: Callable[[], Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Snapshot:
    """Write a ``width``×``height`` PNG of the map ``path`` to ``out``, atomically.

    ``path`` is a built ``map.html`` (or the folder holding it), or a places
    CSV, which is first built into a temporary folder in ``lang``, locating
    places from manual coordinates, the cache and the gazetteer only unless
    ``geocode``. Tiles get ``wait_tiles`` seconds to load. ``offline`` lets
    nothing leave this machine (the basemap is then blank).

    Collaborators: ``chromium`` is the browser to run (default:
    ``$MAPGEN_CHROMIUM``, else /usr/bin/chromium, else Playwright's own),
    ``chromium_args`` are added to its command line, ``start_playwright``
    returns Playwright's context manager (default: ``sync_playwright()``; an
    ``ImportError`` from it means Playwright is not installed).
    """
    for name, value in (("width", width), ("height", height)):
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise SnapshotError(f"{name}={value}: give a size from {MIN_SIZE} to {MAX_SIZE} pixels.")
    if wait_tiles < 0:
        raise SnapshotError(f"wait_tiles={wait_tiles}: give the seconds to wait for map tiles, 0 or more.")
    if geocode and offline:
        raise SnapshotError("geocoding needs the network: leave out offline (--offline) or geocode (--geocode).")
    out = Path(out)
    if out.suffix.lower() not in ("", ".png"):
        raise SnapshotError(f"{out}: a snapshot is a PNG; name the file .png.")
    try:
        manager = (start_playwright or _sync_playwright)()
    except ImportError:
        raise SnapshotError(NO_PLAYWRIGHT) from None
    browser = find_chromium(chromium, os.environ if environ is None else environ)
    args = [*QUIET_CHROMIUM, *(NO_INTERNET if offline else []), *chromium_args]

    def draw(page: Path) -> tuple[bytes, dict[str, int]]:
        with manager as playwright:
            return _draw(playwright, page, width, height, browser=browser, offline=offline, args=args,
                         wait_tiles=wait_tiles)

    with tempfile.TemporaryDirectory(prefix="mapgen-snapshot-") as scratch:
        page, notes = _map_page(Path(path), Path(scratch), lang=lang, geocode=geocode, encoding=encoding)
        # Playwright's sync API refuses a thread with a running event loop (a notebook's, or another
        # Playwright's); a thread of its own has none.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mapgen-snapshot") as pool:
            png, tiles = pool.submit(draw, page).result()
    from ..atomic import write_atomic

    write_atomic(out, png)
    total, failed, pending = tiles["tiles"], tiles["tiles"] - tiles["loaded"] - tiles["pending"], tiles["pending"]
    notes += tile_notes(total, failed, pending, offline=offline, wait_tiles=wait_tiles)
    return Snapshot(out, width, height, Path(path), total, failed, pending, tuple(notes))


def tile_notes(total: int, failed: int, pending: int, *, offline: bool, wait_tiles: float) -> list[str]:
    """What the reader should know about the basemap of the picture."""
    if total and failed == total:
        if offline:
            return ["no internet: the basemap is blank; map tiles are not fetched with --offline. "
                    "The places are drawn on a grey ground."]
        return [f"no internet: the basemap is blank; none of the {total} map tiles could be loaded. The places "
                "are drawn on a grey ground; take the snapshot again with internet for the basemap."]
    notes = []
    if failed:
        notes.append(f"{failed} of {total} map tiles could not be loaded: the basemap has grey gaps.")
    if pending:
        notes.append(f"{pending} of {total} map tiles were still loading after {wait_tiles:g} s: the basemap "
                     "may have gaps; give them longer with --wait-tiles.")
    return notes


def find_chromium(given: str | Path | None, environ: Mapping[str, str]) -> str | None:
    """The Chromium to run: ``given``, else ``$MAPGEN_CHROMIUM``, else Debian's, else None (Playwright's own)."""
    for value, origin in ((given, "--chromium"), (environ.get("MAPGEN_CHROMIUM"), "MAPGEN_CHROMIUM")):
        if value:
            found = shutil.which(str(value))
            if not found:
                raise SnapshotError(f"{origin}={str(value)!r}: no such program; give the path of Chromium "
                                    "(or Google Chrome).")
            return found
    return DEFAULT_CHROMIUM if shutil.which(DEFAULT_CHROMIUM) else None


def _sync_playwright() -> Any:
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def _map_page(path: Path, scratch: Path, *, lang: str | None, geocode: bool,
              encoding: str | None) -> tuple[Path, list[str]]:
    """The map.html to draw (built from ``path`` into ``scratch`` if it is a CSV) and the build's notes."""
    if path.is_dir():
        if (path / "map.html").is_file():
            path = path / "map.html"
        elif (path / "index.html").is_file():
            raise SnapshotError(f"{path} is a site (mapgen build --site), whose page loads its data over the "
                                "web; give its places CSV or a map.html instead.")
        else:
            raise SnapshotError(f"{path}: no map.html in this folder; give a map.html or a places CSV.")
    if path.suffix.lower() in (".html", ".htm"):
        if not path.is_file():
            raise SnapshotError(f"{path}: file not found; give a map.html made by mapgen build, or a places CSV.")
        if lang is not None:
            raise SnapshotError(f"{path} is already built, in its own language; a language (--lang) applies "
                                "when drawing from a CSV (or rebuild with mapgen build --lang).")
        return path, []
    from ..pipeline import build

    result = build(path, scratch, offline=not geocode, lang=lang, encoding=encoding, formats=("html",),
                   geocoder_options={"service": "nominatim"} if geocode else None)
    return scratch / "map.html", [f"Check: {note}" for note in result.notes]


# Counts the basemap's tiles once the tile layers are done (or the time is up), then waits for
# the tiles that did load to finish fading in. Leaflet marks a loaded tile .leaflet-tile-loaded;
# a failed one stays an <img> without it.
_TILES = """async (seconds) => {
  const map = window.mapgen.app.map, layers = [];
  map.eachLayer(l => { if (l instanceof L.TileLayer) layers.push(l); });
  const until = Date.now() + seconds * 1000, pause = ms => new Promise(r => setTimeout(r, ms));
  while (layers.some(l => l.isLoading()) && Date.now() < until) await pause(100);
  const tiles = [...map.getContainer().querySelectorAll("img.leaflet-tile")];
  const loaded = tiles.filter(t => t.classList.contains("leaflet-tile-loaded"));
  const pending = tiles.filter(t => !t.complete).length;
  for (let i = 0; i < 20 && loaded.some(t => parseFloat(t.style.opacity || "1") < 1); i++) await pause(50);
  await document.fonts.ready;
  return { tiles: tiles.length, loaded: loaded.length, pending: pending };
}"""


def _draw(playwright: Any, page_path: Path, width: int, height: int, *, browser: str | None, offline: bool,
          args: list[str], wait_tiles: float) -> tuple[bytes, dict[str, int]]:
    """The PNG of ``page_path`` in embed mode, and the count of its tiles."""
    from playwright.sync_api import Error

    from . import assets

    try:
        chromium = playwright.chromium.launch(executable_path=browser, headless=True, args=args)
    except Error as exc:
        raise SnapshotError(
            f"could not start Chromium ({browser or 'Playwright’s own'}): {str(exc).strip().splitlines()[0]}. "
            "Install it (Debian: apt-get install chromium), give its path with --chromium or MAPGEN_CHROMIUM, "
            "or run: playwright install chromium") from None
    try:
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                       service_workers="block")
        # the pinned scripts from the asset cache where it has them; the browser checks their hashes (SRI)
        local = {assets.cdn_url(a): assets.cache_path(a) for a in assets.assets()}
        local = {url: file for url, file in local.items() if file.is_file()}
        unreachable: list[str] = []
        errors: list[str] = []

        def route(request_route: Any) -> None:
            url = request_route.request.url
            parts = urlsplit(url)
            if parts.scheme in _LOCAL_SCHEMES or parts.hostname in _LOOPBACK:
                request_route.continue_()
            elif url in local:
                request_route.fulfill(path=str(local[url]), headers={
                    "Content-Type": assets.mime_type(url), "Access-Control-Allow-Origin": "*"})
            elif offline:
                request_route.abort("internetdisconnected")
            else:
                request_route.continue_()

        context.route("**/*", route)
        page = context.new_page()
        page.on("requestfailed", lambda request: unreachable.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_path.resolve().as_uri() + "?embed", wait_until="domcontentloaded")
        waited = 0.0
        while not page.evaluate("document.documentElement.dataset.mapgenReady === '1'"):
            # without its pinned scripts the map never draws: no need to wait the whole time then
            if waited >= READY_TIMEOUT or any(url.startswith(assets.CDN) for url in unreachable):
                raise SnapshotError(_not_drawn(page_path, unreachable, errors, assets.CDN))
            page.wait_for_timeout(100)
            waited += 0.1
        tiles = page.evaluate(_TILES, wait_tiles)
        return page.screenshot(type="png"), tiles
    finally:
        chromium.close()


def _not_drawn(page_path: Path, unreachable: list[str], errors: list[str], cdn: str) -> str:
    if any(url.startswith(cdn) for url in unreachable):
        return (f"{page_path}: the map cannot be drawn: its scripts come from {urlsplit(cdn).hostname}, which "
                "could not be reached. Run `mapgen assets fetch` once (snapshot then uses the copies on this "
                "machine), or build the map with --self-contained.")
    message = f"{page_path}: the map did not finish drawing within {READY_TIMEOUT:g} s"
    return message + (f" ({errors[0]})" if errors else ".")
