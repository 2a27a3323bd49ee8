"""The built map's scripts, styles and fonts: SRI-pinned from the CDN, or all inlined."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import mapgen
from browser import on_map, open_popup

ROOT = Path(__file__).resolve().parents[1]
FA_FAMILY = "Font Awesome 6 Free"


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def self_contained_map(asset_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inline")
    mapgen.build(ROOT / "places.csv", out, offline=True, self_contained=True)
    return out / "map.html"


def test_normal_build_loads_pinned_files_with_sri(shipped_map: Path):
    tags = Tags(shipped_map.read_text("utf-8")).tags
    external = [(t, a) for t, a in tags if a.get("src") or (t == "link" and a.get("href"))]
    assert len(external) == 4  # Leaflet and Font Awesome (solid) only: no folium defaults
    (worker,) = [a for t, a in tags if a.get("id") == "mapgen-supercluster"]  # for the clustering worker
    assert worker["data-src"].endswith("/supercluster@9.1.0/dist/supercluster.min.js")
    assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", worker["data-integrity"])
    for tag, attrs in external:
        url = attrs.get("src") or attrs.get("href") or ""
        assert re.fullmatch(r"https://cdn\.jsdelivr\.net/npm/[^/]+(/[^/]+)?@\d+\.\d+\.\d+/.+\.(js|css)", url), url
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", attrs.get("integrity") or ""), url
        assert attrs.get("crossorigin") == "anonymous"
    assert not any("jquery" in (a.get("src") or "") or "bootstrap" in (a.get("href") or "") for _, a in tags)


def test_self_contained_build_inlines_everything(self_contained_map: Path, shipped_map: Path):
    text = self_contained_map.read_text("utf-8")
    assert not [a for t, a in Tags(text).tags if a.get("src") or a.get("data-src") or (t == "link" and a.get("href"))]
    assert "data:font/woff2;base64," in text
    assert "fa-solid-900.ttf" not in text and "font/ttf" not in text  # the TrueType fallback is dropped
    extra = len(text.encode()) - len(shipped_map.read_bytes())
    assert 400_000 < extra < 520_000  # Leaflet, Supercluster and the woff2 font: no 570 KB .ttf
    assert self_contained_map.read_bytes() == mapgen.build(
        ROOT / "places.csv", self_contained_map.parent, offline=True, self_contained=True).files[0].read_bytes()


def test_self_contained_map_renders_with_every_non_tile_request_blocked(
        map_page, self_contained_map: Path, shipped_data, screenshot):
    mp = map_page(self_contained_map, serve_cdn=False)
    mp.wait_ready()
    assert len(on_map(mp)) == 9
    mp.wait_for_function(
        f"""() => document.fonts.check('900 16px "{FA_FAMILY}"') &&
              [...document.fonts].some(f => f.family.replace(/"/g, '') === '{FA_FAMILY}' && f.status === 'loaded')""")
    # the icon font really draws the type symbols
    glyph = mp.evaluate("getComputedStyle(document.querySelector('.mg-swatch i'), '::before').content")
    assert glyph == '"\ue19b"'  # fa-gun's code point ("Gunfire" is the first type)
    assert "Almaty International Airport" in open_popup(mp, "Almaty International Airport")
    mp.wait_for_selector("img.leaflet-tile-loaded")
    assert mp.escaped == []
    screenshot(mp, "self-contained")
