"""Passing the map on: the page for an <iframe> in an article (``map.html?embed``).

The embed tests put the iframe snippets of the README into an article page next
to a copy of the shipped map and look into the frame as a reader would.
"""

from __future__ import annotations

import re
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Frame, expect

from browser import MapPage, expected_places, places_drawn

ROOT = Path(__file__).resolve().parents[1]
READY = "document.documentElement.dataset.mapgenReady === '1'"


def readme_iframes() -> list[str]:
    """The ``<iframe>`` snippets the README tells readers to paste into their articles."""
    return re.findall(r"<iframe\s[^>]*></iframe>", (ROOT / "README.md").read_text("utf-8"))


def article(folder: Path, shipped_map: Path, iframe: str, src: str = "map.html?embed") -> Path:
    """An article page with ``iframe`` (its ``src`` set to ``src``) between its paragraphs, the map beside it."""
    shutil.copy(shipped_map, folder / "map.html")
    iframe = re.sub(r'src="[^"]*"', f'src="{src}"', iframe)
    page = folder / "article.html"
    page.write_text(f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ font: 17px/1.5 Georgia, serif; max-width: 800px; margin: 0 auto; padding: 0 16px; }}</style>
</head><body><h1>What happened in Almaty</h1><p>Reports named these places.</p>
{iframe}
<p>The map shows what is known about each of them.</p></body></html>""", "utf-8")
    return page


@pytest.fixture
def two_origins(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``tmp_path`` served on 127.0.0.1: its address as the newspaper's site and as another site (the map's)."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    server.shutdown()
    server.server_close()
    thread.join()


def frame_of(mp: MapPage) -> Frame:
    frame = mp.locator("iframe").element_handle().content_frame()
    assert frame is not None
    frame.wait_for_function(READY)
    return frame


def same_box(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(abs(a[k] - b[k]) <= 1 for k in ("x", "y", "width", "height"))


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


#: Markers whose middle is hidden under something else (a panel, a button) or outside the frame.
HIDDEN_MARKERS = """() => [...document.querySelectorAll('.leaflet-marker-icon.mg-icon')].filter(icon => {
    const r = icon.querySelector('.mg-marker, .mg-cluster').getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !hit || !icon.contains(hit);
}).map(icon => icon.getAttribute('aria-label'))"""

SCROLL = """() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                  document.body.scrollWidth, document.body.scrollHeight]"""


def test_embed_page_fits_a_600x400_iframe(map_page, shipped_map, shipped_data, tmp_path, two_origins, screenshot):
    newspaper, maps = two_origins  # the map comes from another site than the article, as usual
    article(tmp_path, shipped_map, '<iframe src="" width="600" height="400" style="border:0" '
                                   'title="Map of the places"></iframe>', src=f"{maps}/map.html?embed")
    mp = map_page(f"{newspaper}/article.html", viewport=(1000, 800))
    frame, inner = frame_of(mp), mp.frame_locator("iframe")
    box = mp.locator("iframe").bounding_box()
    assert (box["width"], box["height"]) == (600, 400)
    # the map is the whole frame
    assert same_box(inner.locator(".folium-map").bounding_box(), box)
    assert frame.evaluate("() => [mapgen.app.map.getSize().x, mapgen.app.map.getSize().y]") == [600, 400]
    # both panels start folded; the attribution of the tiles stays
    panel = inner.get_by_role("button", name="Show filters and legend")
    side = inner.get_by_role("button", name="Country-wide and elsewhere (3)")
    assert panel.get_attribute("aria-expanded") == "false"
    assert side.get_attribute("aria-expanded") == "false"
    assert not inner.get_by_role("searchbox").is_visible()
    attribution = inner.locator(".leaflet-control-attribution")
    expect(attribution).to_be_visible()
    expect(attribution).to_contain_text("OpenStreetMap contributors")
    assert inside(attribution.bounding_box(), box)
    # every place is drawn, and none is hidden under a panel or a button
    mapped, _ = expected_places(shipped_data)
    places_drawn(frame, len(mapped))
    assert frame.evaluate(HIDDEN_MARKERS) == []
    # nothing scrolls inside the frame
    width, height, body_width, body_height = frame.evaluate(SCROLL)
    assert width <= 600 and height <= 400 and body_width <= 600 and body_height <= 400
    # no allowfullscreen on this iframe of another site: the full-screen button, which could do nothing, is left out
    assert not inner.locator(".mg-fullscreen").is_visible()
    screenshot(mp, "folded")

    # the toggles still open the panels, inside the frame
    panel.click()
    expect(inner.get_by_role("button", name="Hide filters and legend")).to_have_attribute("aria-expanded", "true")
    expect(inner.get_by_role("searchbox")).to_be_visible()
    assert inside(inner.locator(".mg-panel").bounding_box(), box)
    side.click()
    expect(side).to_have_attribute("aria-expanded", "true")
    expect(inner.locator(".mg-offmap article").first).to_be_visible()
    assert inside(inner.locator(".mg-offmap").bounding_box(), box)
    width, height, _, _ = frame.evaluate(SCROLL)
    assert width <= 600 and height <= 400
    screenshot(mp, "opened")


def test_readme_snippets_fill_their_frame_at_any_size(map_page, shipped_map, tmp_path, screenshot):
    snippets = readme_iframes()
    assert len(snippets) == 2 and all("?embed" in s and "allowfullscreen" in s for s in snippets)
    for n, snippet in enumerate(snippets):
        folder = tmp_path / str(n)
        folder.mkdir()
        mp = map_page(article(folder, shipped_map, snippet), viewport=(900, 900))
        frame, inner = frame_of(mp), mp.frame_locator("iframe")
        for viewport in ((900, 900), (380, 700)):  # a desktop, then a phone
            mp.set_viewport_size({"width": viewport[0], "height": viewport[1]})
            box = mp.locator("iframe").bounding_box()
            assert box["width"] == min(800, viewport[0] - 32)  # the article's column
            assert box["height"] == (480 if n == 0 else pytest.approx(max(360, box["width"] * 2 / 3), abs=1))
            frame.wait_for_function("([w, h]) => mapgen.app.map.getSize().x === w && mapgen.app.map.getSize().y === h",
                                    arg=[round(box["width"]), round(box["height"])])
            assert same_box(inner.locator(".folium-map").bounding_box(), box)
            assert inner.get_by_role("button", name="Show filters and legend").get_attribute("aria-expanded") == "false"
            expect(inner.locator(".leaflet-control-attribution")).to_be_visible()
            expect(inner.locator(".mg-fullscreen")).to_be_visible()  # allowfullscreen: the button works
            width, height, _, _ = frame.evaluate(SCROLL)
            assert width <= box["width"] and height <= box["height"]
            screenshot(mp, f"{n}-{viewport[0]}")


@pytest.mark.parametrize("query, folded", [("?embed", True), ("?embed=1", True), ("?embed=0", False), ("", False)])
def test_embed_query_parameter(map_page, shipped_map, query, folded):
    """On a wide screen the panel starts open, unless the address asks for the embedded page."""
    mp = map_page(shipped_map.resolve().as_uri() + query, viewport=(1100, 700))
    mp.wait_ready()
    toggle = mp.locator(".mg-panel .mg-toggle")
    assert toggle.get_attribute("aria-expanded") == ("false" if folded else "true")
    assert mp.locator(".mg-offmap-toggle").get_attribute("aria-expanded") == ("false" if folded else "true")
    assert mp.evaluate("document.documentElement.classList.contains('mg-embedded')") is folded
