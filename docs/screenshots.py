"""Capture the README's pictures of the shipped map: ``docs/map.png``, ``docs/map-de.png`` and ``docs/map-mobile.png``.

Builds ``places.csv`` into a temporary folder and opens it in headless
Chromium through the test harness (``tests/browser.py``): the pinned scripts
come from the local asset cache, map tiles are blank, and nothing else may
reach the network; any console error or escaped request aborts the capture.

    .venv/bin/python docs/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402

import mapgen  # noqa: E402
from browser import CHROMIUM, CHROMIUM_ARGS, MapPage, open_map  # noqa: E402
from mapgen.page import assets  # noqa: E402

DESKTOP = (1280, 800)
PHONE = (375, 667)


def first_view(mp: MapPage) -> None:
    """The map as it opens: every place its own marker, named."""


def desktop_scene_de(mp: MapPage) -> None:
    """The German map with the presidential residence's popup open."""
    mp.get_by_role("button", name="Präsidentenresidenz, Almaty: 1 Vorfall").click()
    mp.locator(".leaflet-popup .mg-summary").wait_for()


def phone_scene(mp: MapPage) -> None:
    """Panels folded, a tapped marker's popup clear of the buttons."""
    mp.get_by_role("button", name="Zoom out", exact=True).click()
    mp.wait_for_function("!mapgen.app.map._animatingZoom")
    mp.get_by_role("button", name="Almaty International Airport: 2 incidents").click()
    mp.locator(".leaflet-popup h3").wait_for()


def shoot(browser: Browser, page: Path, viewport: tuple[int, int], scene: Callable[[MapPage], None],
          target: Path) -> Path:
    """Open ``page`` at ``viewport``, play ``scene``, save a PNG at ``target``."""
    mp, context = open_map(browser, page, viewport)
    try:
        mp.wait_ready()
        scene(mp)
        mp.wait_for_function("[...document.images].every(i => i.complete)")
        mp.wait_for_function("!mapgen.app.map._animatingZoom && !mapgen.app.map._panAnim?._inProgress")
        mp.wait_for_timeout(300)  # let fades settle
        mp.assert_clean()
        mp.screenshot(path=str(target))
    finally:
        context.close()
    return target


def capture(out_dir: Path = ROOT / "docs") -> list[Path]:
    """Build the shipped map and write both screenshots into ``out_dir``."""
    assets.fetch()  # no-op when the pinned files are already cached and verified
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        mapgen.build(ROOT / "places.csv", tmp, offline=True)
        page, german = Path(tmp) / "map.html", Path(tmp) / "map.de.html"
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            return [shoot(browser, page, DESKTOP, first_view, out_dir / "map.png"),
                    shoot(browser, german, DESKTOP, desktop_scene_de, out_dir / "map-de.png"),
                    shoot(browser, page, PHONE, phone_scene, out_dir / "map-mobile.png")]
        finally:
            browser.close()


if __name__ == "__main__":
    for path in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"):
        print(path)
