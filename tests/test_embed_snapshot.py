"""Passing the map on: the page for an <iframe> in an article (``map.html?embed``) and ``mapgen snapshot``.

The embed tests put the iframe snippets of the README into an article page next
to a copy of the shipped map and look into the frame as a reader would. The
snapshot tests draw the shipped map with snapshot's own Chromium, which is
kept off the internet (``--offline``, or the harness's host-resolver rules).
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Frame, expect

import mapgen
from browser import CHROMIUM_ARGS, MapPage, expected_places, places_drawn
from mapgen.page.snapshot import NO_PLAYWRIGHT, SnapshotError, find_chromium, snapshot

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


# --- mapgen snapshot ---


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def coloured_pixels(browser: Browser, data: bytes) -> int:
    """Pixels of the PNG that are clearly coloured: a blank basemap and the controls are grey, black and white."""
    page = browser.new_page()
    try:
        page.set_content(f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">')
        return page.evaluate("""async () => {
            const img = document.querySelector('img'); await img.decode();
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
            }
            return n;
        }""")
    finally:
        page.close()


def test_snapshot_of_the_shipped_map(mapgen_cli, shipped_map, chromium_browser, tmp_path):
    out = tmp_path / "social.png"
    result = mapgen_cli("snapshot", str(shipped_map), "-o", str(out), "--width", "800", "--height", "418",
                        "--offline")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out}: 800×418 PNG of {shipped_map}\n"
    assert result.stderr == ("no internet: the basemap is blank; map tiles are not fetched with --offline. "
                             "The places are drawn on a grey ground.\n")
    data = out.read_bytes()
    assert png_size(data) == (800, 418)
    assert coloured_pixels(chromium_browser, data) > 2000  # the markers are drawn
    assert [p.name for p in tmp_path.iterdir()] == ["social.png"]  # no temporary file left beside it


def test_snapshot_of_a_csv_with_no_internet(chromium_browser, tmp_path):
    """From the CSV (built in German), the browser may go out but finds no host: it says the basemap is blank."""
    shutil.copy(ROOT / "places.csv", tmp_path / "places.csv")
    result = mapgen.snapshot(tmp_path / "places.csv", tmp_path / "karte.png", width=640, height=480, lang="de",
                             wait_tiles=10, chromium_args=CHROMIUM_ARGS)
    assert result.tiles > 0 and result.tiles_failed == result.tiles and result.tiles_pending == 0
    assert result.notes == (f"no internet: the basemap is blank; none of the {result.tiles} map tiles could be "
                            "loaded. The places are drawn on a grey ground; take the snapshot again with internet "
                            "for the basemap.",)
    data = (tmp_path / "karte.png").read_bytes()
    assert png_size(data) == (640, 480)
    assert coloured_pixels(chromium_browser, data) > 2000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["karte.png", "places.csv"]  # built elsewhere


def no_playwright() -> None:
    raise ModuleNotFoundError("No module named 'playwright'", name="playwright")


def test_snapshot_without_playwright_says_how_to_install_it(shipped_map, tmp_path):
    with pytest.raises(SnapshotError) as caught:
        snapshot(shipped_map, tmp_path / "map.png", start_playwright=no_playwright)
    assert str(caught.value) == NO_PLAYWRIGHT
    assert not (tmp_path / "map.png").exists()


def test_snapshot_command_without_playwright(shipped_map, tmp_path):
    """The command as a user without the extra runs it: one line, exit 1, no traceback."""
    hide = ("import sys; sys.modules['playwright'] = sys.modules['playwright.sync_api'] = None; "
            "from mapgen.cli import main; sys.argv = ['mapgen'] + sys.argv[1:]; main()")
    done = subprocess.run([sys.executable, "-c", hide, "snapshot", str(shipped_map), "-o", str(tmp_path / "m.png")],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("Error: mapgen snapshot draws the map with Chromium through Playwright, which is not "
                           "installed; install it with: pip install 'mapgen[snapshot]'\n")


@pytest.mark.parametrize("args, message", [
    (["-o", "map.jpg"], "Error: map.jpg: a snapshot is a PNG; name the file .png.\n"),
    (["--lang", "de"], "Error: {map} is already built, in its own language; a language (--lang) applies when "
                       "drawing from a CSV (or rebuild with mapgen build --lang).\n"),
    (["--offline", "--geocode"], "Error: geocoding needs the network: leave out offline (--offline) or geocode "
                                 "(--geocode).\n"),
    (["--chromium", "/no/such/chromium"], "Error: --chromium='/no/such/chromium': no such program; give the path "
                                          "of Chromium (or Google Chrome).\n"),
])
def test_snapshot_mistakes(mapgen_cli, shipped_map, tmp_path, args, message):
    result = mapgen_cli("snapshot", str(shipped_map), *args, cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == message.format(map=shipped_map)
    assert list(tmp_path.iterdir()) == []


def test_snapshot_says_when_the_maps_scripts_are_out_of_reach(mapgen_cli, shipped_map, tmp_path):
    """No internet and no local copies of Leaflet & co.: say so at once, not after a minute."""
    empty = tmp_path / "no-assets"
    empty.mkdir()
    result = mapgen_cli("snapshot", str(shipped_map), "-o", str(tmp_path / "m.png"), "--offline",
                        env={"MAPGEN_ASSET_CACHE": str(empty)})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: {shipped_map}: the map cannot be drawn: its scripts come from cdn.jsdelivr.net, "
                             "which could not be reached. Run `mapgen assets fetch` once (snapshot then uses the "
                             "copies on this machine), or build the map with --self-contained.\n")
    assert not (tmp_path / "m.png").exists()


def test_snapshot_says_when_chromium_does_not_start(mapgen_cli, shipped_map, tmp_path):
    result = mapgen_cli("snapshot", str(shipped_map), "-o", str(tmp_path / "m.png"), "--chromium", "false")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: could not start Chromium ({shutil.which('false')}): ")
    assert result.stderr.endswith("Install it (Debian: apt-get install chromium), give its path with --chromium "
                                  "or MAPGEN_CHROMIUM, or run: playwright install chromium\n")


def test_snapshot_size_is_checked(mapgen_cli, shipped_map):
    result = mapgen_cli("snapshot", str(shipped_map), "--width", "20")
    assert result.exit_code == 2
    assert "Invalid value for '--width': 20 is not in the range 100<=x<=8192." in result.stderr


def test_chromium_is_found_in_order(tmp_path):
    program = tmp_path / "my-chromium"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    other = tmp_path / "env-chromium"
    shutil.copy(program, other)
    assert find_chromium(program, {"MAPGEN_CHROMIUM": str(other)}) == str(program)
    assert find_chromium(None, {"MAPGEN_CHROMIUM": str(other)}) == str(other)
    expected = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    assert find_chromium(None, {}) == expected
    with pytest.raises(SnapshotError, match="MAPGEN_CHROMIUM='/nope': no such program"):
        find_chromium(None, {"MAPGEN_CHROMIUM": "/nope"})
