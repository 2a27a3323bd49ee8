"""Timing a map in headless Chromium as a reader meets it: opening, a filter change, a popup's text.

    .venv/bin/python bench/pagetime.py out/map.html      # a single-file map, opened from the disk
    .venv/bin/python bench/pagetime.py site/             # a site (mapgen build --site), served over HTTP

A single file is opened as ``file://``; a site is served by
:func:`mapgen.serve.site.start` (``mapgen serve``: 127.0.0.1, the run's
secret) and opened at its ``url``, whose cookie lets the page fetch its data.
Requests are routed as in ``tests/browser.py``: map tiles are blank; a
single file's pinned scripts come from the local asset cache (a site has
them in its own ``assets/``, so a CDN request from a site is refused and
reported); anything that is not a local file or the local server is refused
and reported.

Everything is timed inside the page with its own clock (``performance.now()``,
milliseconds since navigation started), and "drawn" means the frame after
the change has been rendered (``requestAnimationFrame``, then a task):

* **usable**: navigation start until mapgen says the first view is drawn
  (``data-mapgen-ready="1"`` on ``<html>``: every marker and cluster in view
  is on the map) and a frame has been drawn after that;
* **filter off / on**: a click on the checkbox of the commonest incident type
  until the panel's count line ``.mg-counts`` shows the new text (a
  ``MutationObserver``; mapgen updates it once the filter is applied and the
  view drawn again) and a frame has been drawn; then the same click again;
* **popup**: the page's first popup, from a click on a marker (the one with
  most incidents of those a click reaches; when the first view holds only
  cluster bubbles, the smallest bubble is clicked until a marker shows, not
  timed) until the popup shows its incidents' summaries (``.mg-summary``, no
  ``.mg-loading`` left) and a frame has been drawn;
* **search hit** and **busiest place**: the same from a click on a hit of the
  search box (the name typed first, not timed) in the page opened again, for
  a place with the median number of incidents, then for the place with the
  most (the map moves to the place, then opens its popup);
* **bytes before usable** (sites): the response bodies of every request the
  page made that had finished when it became usable (Playwright's
  ``request.sizes()``), as the site sends them (``mapgen serve`` does not
  compress). The blank tiles are counted apart: a real tile server sends
  other bytes.

Clicks are real mouse clicks (Playwright); their start is the click event's
``timeStamp``, which the browser takes when the input arrives. For the
breakdowns, the probe also notes when each message went to mapgen's worker
(filter, view, reveal…) and when its answer came back.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
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

#: Runs before the page's own scripts: notes when mapgen says it is ready, and the frame after;
#: and, for the breakdowns, when each message went to mapgen's worker and when its answer came back.
PROBE = """
(() => {
  const t = window.__mgBench = {worker: []};
  const seen = () => {
    if (t.ready !== undefined || !document.documentElement
        || document.documentElement.getAttribute('data-mapgen-ready') !== '1') return;
    t.ready = performance.now();
    requestAnimationFrame(() => setTimeout(() => { t.usable = performance.now(); }, 0));
  };
  new MutationObserver(seen).observe(document, {attributes: true, subtree: true,
                                                attributeFilter: ['data-mapgen-ready']});
  const Native = window.Worker;
  window.Worker = function (url, options) {
    const worker = new Native(url, options), sent = {}, post = worker.postMessage.bind(worker);
    worker.postMessage = (msg, transfer) => {
      if (msg && msg.seq) sent[msg.seq] = [msg.type, performance.now()];
      return post(msg, transfer);
    };
    worker.addEventListener('message', e => {
      const s = e.data && sent[e.data.seq];
      if (s) t.worker.push([s[0], s[1], performance.now()]);
    });
    return worker;
  };
})();
"""

#: Watch for the effect of the next click (``kind``: "counts" or "popup"); ``window.__mgWait``
#: resolves with the milliseconds from the click to the frame drawn after the effect.
WATCH = """
(kind) => {
  const counts = document.querySelector('.mg-counts'), before = counts.textContent;
  const done = {
    // the panel's count line shows another text
    counts: () => counts.textContent !== before && {before, after: counts.textContent},
    // a popup shows its incidents' summaries, none still loading
    popup: () => {
      const box = document.querySelector('.leaflet-popup-content');
      if (!box || !box.querySelector('.mg-summary') || box.querySelector('.mg-loading')) return null;
      return {place: box.querySelector('h3').textContent, incidents: box.querySelectorAll('li.mg-incident').length};
    },
  }[kind];
  window.__mgWait = new Promise(resolve => {
    let start;
    document.addEventListener('click', e => { if (start === undefined) start = e.timeStamp; },
                              {capture: true, once: true});
    const observer = new MutationObserver(() => {
      const result = start !== undefined && done();
      if (!result) return;
      observer.disconnect();
      const seen = performance.now();
      requestAnimationFrame(() => setTimeout(() => {
        const worker = window.__mgBench.worker.filter(w => w[1] >= start)
          .map(w => [w[0], Math.round(w[1] - start), Math.round(w[2] - start)]);
        resolve(Object.assign({ms: performance.now() - start, seenMs: seen - start, worker}, result));
      }, 0));
    });
    observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  });
}
"""

#: The checkbox of the type with most incidents (its count is shown beside it).
COMMONEST = """() => {
  const inputs = [...document.querySelectorAll('.mg-types input[type=checkbox][data-id]')];
  const n = input => Number((input.closest('label').querySelector('.mg-n') || {}).textContent || 0);
  return inputs.sort((a, b) => n(b) - n(a))[0].dataset.id;
}"""

#: Markers in view that a click reaches (not under a panel), of places or (``true``) of cluster
#: bubbles: name and incidents of a place, the number of places of a bubble.
CLICKABLE = """(clusters) => [...document.querySelectorAll('.leaflet-marker-icon.mg-icon[aria-label]')]
  .filter(e => e.classList.contains('mg-cluster-icon') === clusters)
  .filter(e => { const r = e.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 return hit && e.contains(hit); })
  .map(e => { if (clusters) return {n: Number(e.textContent), label: e.getAttribute('aria-label')};
              const m = /^(.*): (\\d+) /.exec(e.getAttribute('aria-label'));
              return m && {name: m[1], n: Number(m[2])}; })
  .filter(Boolean)"""

#: From the page's data (docs/page-data.md): places on the map with their number of incidents.
PLACES = """() => mapgen.ready.then(app => {
  const P = app.data.places, total = app.data.meta.incidents, out = [];
  for (let p = 0; p < P.name.length; p++) {
    if (P.panel[p] || P.lat[p] === null) continue;
    out.push({name: P.name[p], n: (p + 1 < P.name.length ? P.start[p + 1] : total) - P.start[p]});
  }
  return out;
})"""


@dataclass
class Transfer:
    """What the page fetched from the site until it was usable."""

    site_bytes: int = 0
    site_requests: int = 0
    tile_requests: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)  # (path, bytes), largest first


@dataclass
class Click:
    """One timed click: milliseconds until its effect was drawn, what it was, and the worker's part in it."""

    ms: float
    what: str
    worker: list[tuple[str, int, int]]  # (message, sent, answered): ms after the click


@dataclass
class PageTimes:
    """What one opening of a map took, in milliseconds, and the clicks behind the figures."""

    ready_ms: float
    usable_ms: float
    filter_off_ms: float
    filter_on_ms: float
    popup_ms: float       # a marker's popup
    search_ms: float      # a search hit's popup, a place with the median number of incidents
    busiest_ms: float     # a search hit's popup, the place with most incidents
    clicks: dict[str, Click]
    zoom_clicks: int      # cluster bubbles clicked to reach a marker (not timed)
    transfer: Transfer | None  # sites only
    problems: list[str]


def launch(playwright):
    """Headless Debian Chromium, as the tests use it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def time_site(browser, folder: Path, viewport: tuple[int, int] = (1280, 800), timeout_ms: int = 180_000) -> PageTimes:
    """Serve ``folder`` (a site) with ``mapgen serve``'s server and time it (see the module docstring)."""
    from mapgen.serve.site import start

    server = start(folder)
    try:
        return time_page(browser, server.url, viewport, timeout_ms, site=True)
    finally:
        server.close()


def open_page(browser, *, site: bool, viewport: tuple[int, int] = (1280, 800), timeout_ms: int = 180_000):
    """A page in a fresh context of ``browser``, routed and probed: (context, page, problems, finished requests).

    Local files and the local server are not intercepted at all (as for a
    reader); tiles are blank, a single file's pinned scripts come from the
    asset cache, and anything else is refused and listed in ``problems``.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  service_workers="block")
    context.set_default_timeout(timeout_ms)
    problems: list[str] = []
    cdn = {} if site else cdn_files(assets.cache_dir())
    tile = blank_png()
    finished: list = []

    def handle(route) -> None:
        url = route.request.url
        if url in cdn:
            route.fulfill(status=200, body=cdn[url].read_bytes(),
                          headers={"Content-Type": assets.mime_type(url), "Access-Control-Allow-Origin": "*"})
        elif is_tile_url(url):
            route.fulfill(status=200, body=tile, headers={"Content-Type": "image/png",
                                                          "Access-Control-Allow-Origin": "*"})
        else:
            problems.append(f"refused request: {url}")
            route.abort("blockedbyclient")

    def failed(request) -> None:
        if is_tile_url(request.url) and request.failure == "net::ERR_ABORTED":
            return  # Leaflet cancels the tiles of a zoom level it has left
        if not any(request.url in p for p in problems):
            problems.append(f"failed request: {request.url} ({request.failure})")

    context.route(re.compile(r"^(?!(file|data|blob):|https?://(127\.0\.0\.1|localhost|\[::1\])[:/])"), handle)
    context.route_web_socket(re.compile(".*"), lambda ws: (problems.append(f"refused WebSocket: {ws.url}"),
                                                           ws.close()))
    context.add_init_script(PROBE)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None)
    page.on("requestfailed", failed)
    page.on("requestfinished", lambda request: finished.append(request))
    return context, page, problems, finished


def wait_usable(page) -> dict:
    """Wait until the probe saw the page usable; what it noted (``ready``, ``usable``, ``worker``)."""
    page.wait_for_function("window.__mgBench && window.__mgBench.usable !== undefined", polling=100)
    return page.evaluate("window.__mgBench")


def time_page(browser, target: Path | str, viewport: tuple[int, int] = (1280, 800), timeout_ms: int = 180_000,
              *, site: bool = False) -> PageTimes:
    """Open ``target`` (a ``map.html`` or a URL) in a fresh context of ``browser`` and time it."""
    context, page, problems, finished = open_page(browser, site=site, viewport=viewport, timeout_ms=timeout_ms)
    try:
        url = target if isinstance(target, str) else target.resolve().as_uri()
        page.goto(url, wait_until="commit")
        times = wait_usable(page)
        transfer = _transfer(page, finished, times["usable"]) if site else None

        kind = page.evaluate(COMMONEST)
        box = page.locator(f".mg-types input[data-id='{kind}']")
        off = timed_click(page, "counts", box)
        on = timed_click(page, "counts", box)
        if on["after"] != off["before"]:
            problems.append(f"the count line reads {on['after']!r} after the filter was undone, "
                            f"not {off['before']!r} as before")
        clicks = {"filter off": _click(off, f"type '{kind}' off: {off['before']!r} -> {off['after']!r}"),
                  "filter on": _click(on, f"type '{kind}' on again")}

        # the first popup of the page: a marker of the first view, or of a bubble's view
        zooms = _zoom_to_markers(page)
        name = max(page.evaluate(CLICKABLE, False), key=lambda m: m["n"])["name"]
        got = timed_click(page, "popup", page.locator(
            f".leaflet-marker-icon.mg-icon:not(.mg-cluster-icon)[aria-label^='{_css(name)}: ']").first)
        clicks["popup"] = _check(got, name, f"marker {name!r} ({got['incidents']} incidents)"
                                 + (f", after {zooms} clicks on cluster bubbles" if zooms else ""), problems)

        # places found by their name, from the first view of the page opened again
        page.goto(url, wait_until="commit")
        wait_usable(page)
        places = sorted(page.evaluate(PLACES), key=lambda p: p["n"])
        for key, place in (("search", places[len(places) // 2]), ("busiest", places[-1])):
            got = _search_and_open(page, place["name"])
            clicks[key] = _check(got, place["name"], f"search hit {place['name']!r} ({got['incidents']} incidents)",
                                 problems)
            close_popup(page)
        return PageTimes(ready_ms=times["ready"], usable_ms=times["usable"], filter_off_ms=off["ms"],
                         filter_on_ms=on["ms"], popup_ms=clicks["popup"].ms, search_ms=clicks["search"].ms,
                         busiest_ms=clicks["busiest"].ms, clicks=clicks, zoom_clicks=zooms, transfer=transfer,
                         problems=problems)
    finally:
        context.close()


def _css(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _click(result: dict, what: str) -> Click:
    return Click(ms=result["ms"], what=what, worker=[tuple(w) for w in result["worker"]])


def _check(result: dict, name: str, what: str, problems: list[str]) -> Click:
    """The click that opened ``name``'s popup; a problem if the popup is another place's."""
    if result["place"] != name:
        problems.append(f"the popup opened for {name!r} is that of {result['place']!r}")
    return _click(result, what)


#: Mark the smallest cluster bubble a click reaches (``data-mg-bench="next"``); its number of places.
NEXT_BUBBLE = """() => {
  const reachable = e => { const r = e.getBoundingClientRect();
                           const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                           return hit && e.contains(hit); };
  const bubbles = [...document.querySelectorAll('.mg-cluster-icon')].filter(reachable)
    .sort((a, b) => Number(a.textContent) - Number(b.textContent));
  if (!bubbles.length) return 0;
  bubbles[0].setAttribute('data-mg-bench', 'next');
  return Number(bubbles[0].textContent);
}"""


def _zoom_to_markers(page, most: int = 12) -> int:
    """Click cluster bubbles (the smallest in reach) until a place's marker is in reach; how many clicks."""
    for clicks in range(most):
        if page.evaluate(CLICKABLE, False):
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 300)))")  # settle
            return clicks
        if not page.evaluate(NEXT_BUBBLE):
            break
        bubble = page.locator("[data-mg-bench=next]")
        bubble.click()
        bubble.wait_for(state="detached")  # the view after the zoom is drawn
    raise RuntimeError(f"no marker of a place in reach after {most} clicks on cluster bubbles")


def timed_click(page, kind: str, target) -> dict:
    """Start watching, click ``target`` with the mouse, and wait for the effect (see :data:`WATCH`)."""
    page.evaluate(WATCH, kind)
    target.click()
    return page.evaluate("window.__mgWait")


def search_hit(page, name: str):
    """Type ``name`` in the search box; its hit, once offered."""
    page.get_by_role("searchbox").fill(name)
    hit = page.locator(".mg-hit", has=page.locator(".mg-hit-name", has_text=re.compile(
        "^" + re.escape(name) + "$"))).first
    hit.wait_for()
    return hit


def _search_and_open(page, name: str) -> dict:
    """Type ``name`` in the search box (not timed), then time a click on its hit until its popup shows its texts."""
    result = timed_click(page, "popup", search_hit(page, name))
    page.get_by_role("searchbox").fill("")
    return result


def close_popup(page) -> None:
    page.locator(".leaflet-popup-close-button").click()
    page.locator(".leaflet-popup").wait_for(state="detached")


def _transfer(page, finished: list, usable_ms: float) -> Transfer:
    """Bytes of the response bodies of the requests that had finished when the page was usable."""
    usable_at = page.evaluate("performance.timeOrigin") + usable_ms  # ms since the epoch, the browser's clock
    out = Transfer()
    sizes: list[tuple[str, int]] = []
    for request in list(finished):
        timing = request.timing
        end = timing["startTime"] + timing["responseEnd"]
        if timing["responseEnd"] < 0 or end > usable_at:
            continue
        parts = urlsplit(request.url)
        if is_tile_url(request.url):
            out.tile_requests += 1
        elif parts.hostname in LOOPBACK:
            size = request.sizes()["responseBodySize"]
            out.site_bytes += size
            out.site_requests += 1
            sizes.append((parts.path + (f"?{parts.query.split('=')[0]}=…" if parts.query else ""), size))
    out.largest = sorted(sizes, key=lambda s: -s[1])
    return out


def describe(t: PageTimes) -> str:
    """A few lines for a person: the figures, each click, and the worker's messages after it."""
    lines = [f"usable after {t.usable_ms:.0f} ms (mapgen ready at {t.ready_ms:.0f} ms)"]
    if t.transfer:
        lines.append(f"before usable: {t.transfer.site_bytes / 1e6:.2f} MB in {t.transfer.site_requests} requests "
                     f"to the site (and {t.transfer.tile_requests} blank tiles); largest: "
                     + ", ".join(f"{p} {b / 1e6:.2f} MB" for p, b in t.transfer.largest[:5]))
    for name, click in t.clicks.items():
        lines.append(f"{name}: {click.ms:.0f} ms, {click.what}")
        if click.worker:
            lines.append("    worker (sent–answered, ms after the click): "
                         + ", ".join(f"{kind} {sent}–{back}" for kind, sent, back in click.worker))
    lines += [f"PROBLEM: {p}" for p in t.problems]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/pagetime.py MAP.html | SITE-FOLDER")
    from playwright.sync_api import sync_playwright

    target = Path(sys.argv[1])
    with sync_playwright() as pw:
        chromium = launch(pw)
        print("Chromium", chromium.version)
        print(describe(time_site(chromium, target) if target.is_dir() else time_page(chromium, target)))
        chromium.close()
