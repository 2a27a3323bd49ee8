"""Helpers for driving map pages in headless Chromium with no internet.

Every request of a page opened with :func:`open_map` is routed:

* ``https://cdn.jsdelivr.net/npm/<pkg>@<ver>/<path>`` of a pinned asset is
  served from the local asset cache (with CORS, so SRI checks work);
* map tiles (known tile hosts, or any ``/{z}/{x}/{y}.png``-like URL) get a
  blank PNG made here;
* ``file:``, ``data:`` and loopback (127.0.0.1 / localhost) requests go through;
* anything else is aborted and recorded in :attr:`MapPage.escaped`.

Console errors, page errors, dialogs and failed requests are recorded too;
:meth:`MapPage.problems` lists all of them.

The end of the module reads a mapgen page back (places on the map, cards in
the side panel, an opened popup) and computes from the data what it should show.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    Request,
    Route,
    WebSocketRoute,
)

from mapgen.page import assets
from mapgen.dataset import Dataset
from mapgen.page.data import offmap_mask

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: even traffic Playwright cannot route (DNS prefetch,
    # preconnect) can resolve no host but loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
TILE_HOSTS = re.compile(
    r"(^|\.)(tile\.openstreetmap\.(org|fr|de)|tile\.opentopomap\.org|basemaps\.cartocdn\.com"
    r"|server\.arcgisonline\.com|tile\.thunderforest\.com|tiles\.stadiamaps\.com)$"
)
TILE_PATH = re.compile(r"/\d+/\d+/\d+(@2x)?\.(png|jpe?g|webp)$", re.IGNORECASE)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def blank_png(size: int = 256, grey: int = 232) -> bytes:
    """A ``size``×``size`` uniform grey PNG, built in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + bytes([grey]) * size) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def is_tile_url(url: str) -> bool:
    """True for map tile requests (known tile hosts, or ``/{z}/{x}/{y}.png``-like paths)."""
    parts = urlsplit(url)
    return bool(TILE_HOSTS.search(parts.hostname or "")) or bool(TILE_PATH.search(parts.path))


def cdn_files(cache: Path | None = None) -> dict[str, Path]:
    """Map each pinned asset's jsDelivr URL to its file in the asset cache."""
    return {assets.cdn_url(a): assets.cache_path(a, cache) for a in assets.assets()}


@dataclass
class MapPage:
    """A Playwright page plus everything suspicious it did. Unknown attributes go to ``page``."""

    page: Page
    escaped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)  # every URL asked for, in order

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)

    def problems(self) -> list[str]:
        """Everything that should fail a test, one line each."""
        return (
            [f"escaped request: {u}" for u in self.escaped]
            + [f"failed request: {u}" for u in self.failed]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"dialog: {m}" for m in self.dialogs]
        )

    def wait_ready(self) -> None:
        """Wait until the mapgen app has drawn markers and controls."""
        self.page.wait_for_function("document.documentElement.dataset.mapgenReady === '1'")

    def assert_clean(self) -> None:
        """Fail unless the page did nothing suspicious so far."""
        problems = self.problems()
        assert not problems, "map page problems:\n  " + "\n  ".join(problems)


def open_map(
    browser: Browser,
    target: Path | str,
    viewport: tuple[int, int] = (1280, 800),
    *,
    serve_cdn: bool = True,
    serve_tiles: bool = True,
    cache: Path | None = None,
) -> tuple[MapPage, BrowserContext]:
    """Open ``target`` (a file path or URL) in a fresh context with offline routing.

    ``serve_cdn=False`` / ``serve_tiles=False`` abort (and record) those
    requests too, for pages that must work with no network at all. CDN files
    come from ``cache`` (default: the asset cache).
    """
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    mp = MapPage(page)
    cdn = cdn_files(cache) if serve_cdn else {}
    tile = blank_png()

    def handle(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data", "blob") or parts.hostname in LOOPBACK:
            route.continue_()
        elif url in cdn:
            route.fulfill(
                status=200,
                body=cdn[url].read_bytes(),
                headers={
                    "Content-Type": assets.mime_type(url),
                    "Access-Control-Allow-Origin": "*",
                },
            )
        elif serve_tiles and is_tile_url(url):
            route.fulfill(status=200, body=tile, headers={"Content-Type": "image/png",
                                                          "Access-Control-Allow-Origin": "*"})
        else:
            mp.escaped.append(url)
            route.abort("blockedbyclient")

    def handle_ws(ws: WebSocketRoute) -> None:
        mp.escaped.append(ws.url)
        ws.close()

    def on_failed(request: Request) -> None:
        if request.url in mp.escaped:
            return
        if serve_tiles and is_tile_url(request.url) and request.failure == "net::ERR_ABORTED":
            return  # Leaflet cancels the tiles of a zoom level it has left: not a fault
        mp.failed.append(f"{request.url} ({request.failure})")

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            mp.console_errors.append(f"{msg.text} @ {msg.location}")

    def on_pageerror(error: Error) -> None:
        mp.page_errors.append(str(error))

    def on_dialog(dialog: Dialog) -> None:
        mp.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", handle)
    context.route_web_socket(re.compile(".*"), handle_ws)
    page.on("request", lambda request: mp.requested.append(request.url))
    page.on("requestfailed", on_failed)
    page.on("console", on_console)
    page.on("pageerror", on_pageerror)
    page.on("dialog", on_dialog)
    page.goto(target if isinstance(target, str) else Path(target).resolve().as_uri(), wait_until="domcontentloaded")
    return mp, context


def save_screenshot(page: Page | MapPage, name: str) -> Path:
    """Save a PNG of ``page`` as ``test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png")
    target = page.page if isinstance(page, MapPage) else page
    target.screenshot(path=str(path), full_page=False)
    return path


# --- reading a mapgen page: what the reader sees, and what the data says they should ---

#: Names of the places drawn as markers, read from their accessible names ("Name: 3 incidents, …").
MARKERS = """() => [...document.querySelectorAll('.leaflet-marker-icon[aria-label]')]
    .filter(e => !e.classList.contains('mg-cluster-icon'))
    .map(e => e.getAttribute('aria-label').replace(/: \\d+ [^,]+(, .*)?$/, ''))"""
#: Cluster bubbles drawn ("5 places close together; …").
CLUSTERS = "() => document.querySelectorAll('.mg-cluster-icon').length"
#: Names of the places whose cards the side panel shows.
IN_PANEL = """() => [...document.querySelectorAll('.mg-offmap article')]
    .filter(a => getComputedStyle(a).display !== 'none').map(a => a.querySelector('h3').textContent)"""


#: Places drawn: each marker counts one, each cluster bubble the number it shows.
DRAWN = """() => document.querySelectorAll('.leaflet-marker-icon.mg-icon:not(.mg-cluster-icon)').length
    + [...document.querySelectorAll('.mg-cluster-icon')].reduce((n, e) => n + Number(e.textContent), 0)"""


def places_drawn(mp: MapPage, expected: int, timeout: float = 15_000) -> None:
    """Wait until the markers and the numbers on the cluster bubbles add up to ``expected`` places."""
    try:
        mp.wait_for_function(f"n => ({DRAWN})() === n", arg=expected, timeout=timeout)
    except Error:
        raise AssertionError(f"{mp.evaluate(DRAWN)} places drawn, not {expected}") from None


def on_map(mp: MapPage) -> list[str]:
    """Sorted names of the places drawn as markers (no place may be hidden in a cluster bubble here)."""
    assert mp.evaluate(CLUSTERS) == 0, "a cluster bubble hides places"
    return sorted(mp.evaluate(MARKERS))


def in_panel(mp: MapPage) -> list[str]:
    """Sorted names of the places listed in the country-wide side panel."""
    return sorted(mp.evaluate(IN_PANEL))


def shows(mp: MapPage, mapped: list[str], panel: list[str], timeout: float = 15_000) -> None:
    """Wait until the markers and the side panel's cards are exactly these places (drawing is asynchronous)."""
    script = f"""([mapped, panel]) => {{
        const m = ({MARKERS})().sort(), c = ({IN_PANEL})().sort();
        return ({CLUSTERS})() === 0 && JSON.stringify(m) === JSON.stringify(mapped)
            && JSON.stringify(c) === JSON.stringify(panel);
    }}"""
    try:
        mp.wait_for_function(script, arg=[sorted(mapped), sorted(panel)], timeout=timeout)
    except Error:
        raise AssertionError(f"the page shows {sorted(mp.evaluate(MARKERS))} on the map and "
                             f"{in_panel(mp)} beside it, not {sorted(mapped)} and {sorted(panel)}") from None


def counts_text(ds: Dataset, keep: Callable[[Any], bool] = lambda row: True) -> str:
    """The panel's count line for the incidents for which ``keep`` is true."""
    mapped, _ = expected_places(ds)
    shown, _ = expected_places(ds, keep)
    n = sum(1 for row in ds.incidents.itertuples() if keep(row))
    return f"{len(shown)} of {len(mapped)} places on the map · {n} of {len(ds.incidents)} incidents"


def expected_places(ds: Dataset, keep: Callable[[Any], bool] = lambda row: True) -> tuple[list[str], list[str]]:
    """(on the map, in the side panel): places having an incident row for which ``keep`` is true."""
    panel = offmap_mask(ds)
    names = ds.places["place"].tolist()
    hits = {int(row.place_idx) for row in ds.incidents.itertuples() if keep(row)}
    return sorted(names[p] for p in hits if not panel[p]), sorted(names[p] for p in hits if panel[p])


def marker(mp: MapPage, name: str) -> Any:
    """The marker of ``name`` as a reader finds it: a button named after the place."""
    # "3 incidents", "3 Vorfälle"; a "/" in the name is escaped for Playwright's selector syntax
    return mp.get_by_role("button", name=re.compile("^" + re.escape(name).replace("/", "\\/") + r": \d+ \w"))


def open_popup(mp: MapPage, name: str) -> str:
    """Open the popup of ``name`` as a reader does (a click on its marker); return the popup's text."""
    mp.keyboard.press("Escape")
    mp.locator(".leaflet-popup").wait_for(state="detached")  # a closing popup fades out first
    marker(mp, name).click()
    heading = mp.locator(".leaflet-popup-content h3")
    # its name, perhaps marked as not in the map's language: "Almaty International Airport (Englisch)"
    heading.filter(has_text=re.compile("^" + re.escape(name) + r"( \(\w+\))?$")).wait_for()
    mp.locator(".leaflet-popup-content .mg-loading").wait_for(state="detached")  # the texts are in
    return mp.locator(".leaflet-popup-content").inner_text()


def search(mp: MapPage, text: str) -> list[str]:
    """Type ``text`` into the place search; return the names of the places offered, once they are."""
    box = mp.get_by_role("searchbox")
    box.fill(text)
    # the answer: "No place matches." or, for a screen reader, "Places found: N"
    mp.locator(".mg-searchbox .mg-nohit, .mg-searchbox .mg-sr:not(:empty)").first.wait_for(state="attached")
    return mp.locator(".mg-results .mg-hit-name").all_inner_texts()


def view_of(url: str) -> tuple[int, float, float]:
    """Zoom, latitude and longitude of a map's permalink (``#map=zoom/lat/lon``)."""
    found = re.search(r"map=(\d+)/(-?[\d.]+)/(-?[\d.]+)", url)
    assert found, f"no view in {url}"
    return int(found.group(1)), float(found.group(2)), float(found.group(3))
