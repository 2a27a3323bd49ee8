"""Timing a built map in headless Chromium: until it is usable, and a filter change.

Requests are routed as in ``tests/browser.py``: the pinned CDN files come from
the local asset cache, map tiles are blank, everything else is refused. A
small script injected before the page's own ones records, with the page's
clock (``performance.now()``, milliseconds since navigation started):

* ``ready``: mapgen says it is ready (``data-mapgen-ready="1"``);
* ``markers``: every marker that should be on the map is in the cluster group
  (markercluster adds them in chunks) and a frame has been drawn after that.

A filter change is timed from the click on a type's checkbox to the frame
drawn after mapgen's ``mapgen:filtered`` event.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import (  # noqa: E402 - the test harness's routing helpers
    CHROMIUM,
    CHROMIUM_ARGS,
    LOOPBACK,
    blank_png,
    cdn_files,
    is_tile_url,
)
from mapgen.page import assets  # noqa: E402

PROBE = """
(() => {
  const t = window.__mgBench = {};
  function expected(app) {
    let n = 0;
    for (let p = 0; p < app.nPlaces; p++) if (app.shown[p] && !app.data.places.panel[p]) n++;
    return n;
  }
  function frame() {
    const app = window.mapgen && window.mapgen.app;
    if (t.ready === undefined && document.documentElement.dataset.mapgenReady === '1') t.ready = performance.now();
    if (t.ready !== undefined && t.markersIn === undefined && app && app.cluster
        && app.cluster.getLayers().length === expected(app)) t.markersIn = performance.now();
    else if (t.markersIn !== undefined && t.markers === undefined) { t.markers = performance.now(); return; }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();
"""

#: Click the checkbox of the type with most incidents; resolve with the time
#: until the frame after ``mapgen:filtered``, and the number of markers left.
TOGGLE = """
(kind) => new Promise(done => {
  const app = mapgen.app;
  const inputs = [...document.querySelectorAll('.mg-types input[type=checkbox]')];
  const label = input => input.closest('label');
  const count = input => Number((label(input).querySelector('.mg-n') || {}).textContent || 0);
  const input = inputs.sort((a, b) => count(b) - count(a))[0];
  const start = performance.now();
  app.map.once('mapgen:filtered', () => requestAnimationFrame(() => {
    const ms = performance.now() - start;
    let shown = 0;
    for (let p = 0; p < app.nPlaces; p++) if (app.shown[p] && !app.data.places.panel[p]) shown++;
    done({ms, shown, checked: input.checked, type: label(input).textContent.trim()});
  }));
  input.click();
})
"""


@dataclass
class PageTimes:
    """What one opening of a map took, in milliseconds (``None`` if it never happened)."""

    ready_ms: float
    markers_ms: float
    filter_off_ms: float
    filter_on_ms: float
    places_on_map: int
    places_after_filter: int
    problems: list[str]


def time_page(browser, html: Path, viewport: tuple[int, int] = (1280, 800),
              timeout_ms: int = 120_000) -> PageTimes:
    """Open ``html`` in a fresh context of ``browser`` and time it (see module docstring)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  service_workers="block")
    context.set_default_timeout(timeout_ms)
    problems: list[str] = []
    cdn = cdn_files(assets.cache_dir())
    tile = blank_png()

    def handle(route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data", "blob") or parts.hostname in LOOPBACK:
            route.continue_()
        elif url in cdn:
            route.fulfill(status=200, body=cdn[url].read_bytes(),
                          headers={"Content-Type": assets.mime_type(url), "Access-Control-Allow-Origin": "*"})
        elif is_tile_url(url):
            route.fulfill(status=200, body=tile, headers={"Content-Type": "image/png"})
        else:
            problems.append(f"refused request: {url}")
            route.abort("blockedbyclient")

    context.route("**/*", handle)
    context.add_init_script(PROBE)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None)
    try:
        page.goto(html.resolve().as_uri(), wait_until="domcontentloaded")
        page.wait_for_function("window.__mgBench && window.__mgBench.markers !== undefined")
        times = page.evaluate("window.__mgBench")
        on_map = page.evaluate("mapgen.app.cluster.getLayers().length")
        off = page.evaluate(TOGGLE, "off")
        on = page.evaluate(TOGGLE, "on")
        return PageTimes(ready_ms=times["ready"], markers_ms=times["markers"], filter_off_ms=off["ms"],
                         filter_on_ms=on["ms"], places_on_map=on_map, places_after_filter=off["shown"],
                         problems=problems)
    finally:
        context.close()


def launch(playwright):
    """Headless Debian Chromium, as the tests use it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/pagetime.py MAP.html")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        print(chromium.version, time_page(chromium, Path(sys.argv[1])))
        chromium.close()
