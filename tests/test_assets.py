"""Pinned front-end assets: download + verification, <head> HTML, and in a real browser."""

from __future__ import annotations

import dataclasses
import io
import re
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mapgen.page import assets
from mapgen.page.assets import AssetError

FA_FAMILY = "Font Awesome 6 Free"


class FakeOpener:
    """Stands in for ``urllib.request.urlopen``: serves tarballs from memory, counts calls."""

    def __init__(self, tarballs: dict[str, bytes]) -> None:
        self.tarballs = tarballs
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float | None = None) -> io.BytesIO:
        self.calls.append(url)
        return io.BytesIO(self.tarballs[url])


@pytest.fixture(scope="module")
def tarballs() -> dict[str, bytes]:
    """The real npm tarballs, downloaded once per module from the registry."""
    out = {}
    for pkg in assets.packages():
        url = assets.tarball_url(pkg)
        with urllib.request.urlopen(url, timeout=120) as resp:
            out[url] = resp.read()
    return out


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MAPGEN_ASSET_CACHE", str(cache))
    return cache


def cached_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# --- manifest / URLs ---------------------------------------------------------


def test_manifest_pins() -> None:
    pins = {p.name: p.version for p in assets.packages()}
    assert pins == {
        "leaflet": "1.9.4",
        "supercluster": "9.1.0",
        "@fortawesome/fontawesome-free": "6.7.2",
    }
    assert all(p.integrity.startswith("sha512-") for p in assets.packages())
    assert all(re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", a.integrity) for a in assets.assets())
    paths = {a.path for a in assets.assets()}
    assert not {p for p in paths if "regular" in p or "brands" in p}


def test_urls_and_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fa = next(p for p in assets.packages() if p.name.startswith("@"))
    assert assets.tarball_url(fa) == (
        "https://registry.npmjs.org/@fortawesome/fontawesome-free/-/fontawesome-free-6.7.2.tgz"
    )
    js = assets.assets("js")[0]
    assert assets.cdn_url(js) == "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
    monkeypatch.delenv("MAPGEN_ASSET_CACHE", raising=False)
    assert assets.cache_dir() == Path.home() / ".cache" / "mapgen" / "npm"
    monkeypatch.setenv("MAPGEN_ASSET_CACHE", str(tmp_path))
    assert assets.cache_dir() == tmp_path
    assert assets.cache_path(js) == tmp_path / "leaflet@1.9.4" / "dist" / "leaflet.js"


# --- fetch -------------------------------------------------------------------


@pytest.mark.network
def test_fetch_verifies_and_is_idempotent(tmp_cache: Path, tarballs: dict[str, bytes]) -> None:
    opener = FakeOpener(tarballs)
    written = assets.fetch(urlopen=opener)
    assert sorted(opener.calls) == sorted(tarballs)
    assert all(u.startswith("https://registry.npmjs.org/") for u in opener.calls)
    expected = {assets.cache_path(a) for a in assets.assets()}
    assert set(written) == expected
    assert cached_files(tmp_cache) == expected  # only what we use, no temp files left

    assert assets.fetch(urlopen=opener) == []
    assert len(opener.calls) == len(tarballs)  # second call downloaded nothing


@pytest.mark.network
def test_fetch_into_explicit_dest(tmp_path: Path, tarballs: dict[str, bytes]) -> None:
    written = assets.fetch(tmp_path / "elsewhere", urlopen=FakeOpener(tarballs))
    assert written and all(p.is_relative_to(tmp_path / "elsewhere") for p in written)


@pytest.mark.network
def test_wrong_tarball_hash_is_a_clear_error(tmp_cache: Path, tarballs: dict[str, bytes]) -> None:
    url = next(u for u in tarballs if "/leaflet/" in u)
    bad = dict(tarballs)
    bad[url] = tarballs[url][:-1] + bytes([tarballs[url][-1] ^ 1])
    with pytest.raises(AssetError, match=r"leaflet@1\.9\.4: tarball integrity mismatch"):
        assets.fetch(urlopen=FakeOpener(bad))
    assert not tmp_cache.exists() or not cached_files(tmp_cache)


@pytest.mark.network
def test_wrong_file_hash_is_a_clear_error(
    tmp_cache: Path, tarballs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    pkgs, files = assets._manifest()
    bad = files[0]
    tampered = dataclasses.replace(bad, integrity="sha384-" + "A" * 64)
    monkeypatch.setattr(assets, "_manifest", lambda: (pkgs, (tampered, *files[1:])))
    with pytest.raises(AssetError, match=re.escape(f"{bad.package}@{bad.version}/{bad.path}: sha384 mismatch")):
        assets.fetch(urlopen=FakeOpener(tarballs))


@pytest.mark.network
def test_corrupted_cache_file(tmp_cache: Path, tarballs: dict[str, bytes]) -> None:
    opener = FakeOpener(tarballs)
    assets.fetch(urlopen=opener)
    victim = assets.cache_path(assets.assets("js")[0])
    victim.write_bytes(victim.read_bytes() + b"\nalert(1);")
    with pytest.raises(AssetError, match=r"corrupt.*mapgen assets fetch"):
        assets.head_html("inline")

    assert assets.fetch(urlopen=opener) == [victim]  # fetch repairs it
    assert assets.head_html("inline")


def test_missing_cache_tells_user_to_fetch(tmp_cache: Path) -> None:
    with pytest.raises(AssetError, match=r"not in the asset cache.*mapgen assets fetch"):
        assets.head_html("inline")
    assert "cdn.jsdelivr.net" in assets.head_html()  # the normal build needs no cache


def test_main_fetch(capsys: pytest.CaptureFixture[str], asset_cache: Path) -> None:
    assert assets.main(["fetch", str(asset_cache)]) == 0
    assert "assets OK" in capsys.readouterr().out
    assert assets.main([]) == 2


# --- head_html ---------------------------------------------------------------


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[int, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text[len(self.tags) - 1] = self.text.get(len(self.tags) - 1, "") + data


def parse(html: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    return parser


def test_head_html_cdn_tags_carry_sri() -> None:
    html = assets.head_html()
    assert html == assets.head_html()
    tags = parse(html).tags
    assert [t for t, _ in tags] == ["link"] * 3 + ["script"]
    for tag, attrs in tags:
        url = attrs.get("href") or attrs.get("src") or ""
        assert url.startswith("https://cdn.jsdelivr.net/npm/")
        assert re.fullmatch(r"sha384-\S{64}", attrs.get("integrity") or "")
        assert attrs.get("crossorigin") == "anonymous"
    srcs = [a["src"] for t, a in tags if t == "script"]
    assert "leaflet@1.9.4/dist/leaflet.js" in srcs[0]
    # Supercluster runs in the page's worker: named with its hash, fetched with the hash checked
    (worker,) = parse(assets.worker_html()).tags
    assert worker[1]["type"] == "text/plain" and worker[1]["id"] == "mapgen-supercluster"
    assert worker[1]["data-src"] == "https://cdn.jsdelivr.net/npm/supercluster@9.1.0/dist/supercluster.min.js"
    assert re.fullmatch(r"sha384-\S{64}", worker[1]["data-integrity"])


def test_head_html_self_contained(asset_cache: Path) -> None:
    html = assets.head_html("inline")
    assert html == assets.head_html("inline")
    doc = parse(html)
    assert [t for t, _ in doc.tags] == ["style"] * 3 + ["script"]
    assert all("src" not in a and "href" not in a for _, a in doc.tags)
    # each element's text is exactly one file: nothing closed it early
    assert len(doc.text) == 4
    assert not re.search(r"</(script|style)", "".join(doc.text.values()), re.IGNORECASE)
    urls = re.findall(r"url\(([^)]*)\)", html)
    assert urls and all(u.startswith('"data:') or u.startswith("#") for u in urls)
    assert 'url("data:font/woff2;base64,' in html and 'url("data:image/png;base64,' in html
    worker = parse(assets.worker_html("inline"))
    assert "data-src" not in worker.tags[0][1]
    assert "Supercluster" in worker.text[0] and len(worker.text) == 1


def test_inlined_text_cannot_close_its_element() -> None:
    assert assets._harmless('x="</SCRIPT>";', "script") == 'x="<\\/SCRIPT>";'
    assert assets._harmless("/* </style> */", "style") == "/* <\\/style> */"


# --- in the browser -------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>asset check</title>
{head}
<style>html, body, #map {{ height: 100%; margin: 0; }}
#badge {{ position: absolute; top: 10px; right: 10px; z-index: 1000; font-size: 32px; color: #c0392b; }}</style>
</head><body>
<div id="map"></div>
<i id="badge" class="fa-solid fa-fire"></i>
<output id="clusters"></output>
{worker}
<script>
var map = L.map("map", {{ maxZoom: 18 }}).setView([51.505, -0.09], 11);
{tiles}
L.marker([51.505, -0.09]).addTo(map);
// Supercluster in a worker made from a Blob, as the map page does: 20 points close together, one cluster
var node = document.getElementById("mapgen-supercluster");
var code = node.textContent.trim() ? Promise.resolve(node.textContent)
  : fetch(node.dataset.src, {{ integrity: node.dataset.integrity, mode: "cors" }}).then(function (r) {{ return r.text(); }});
code.then(function (text) {{
  var job = "self.onmessage = function (e) {{ var index = new Supercluster({{ radius: 60 }}).load(e.data);"
    + " self.postMessage(index.getClusters([-180, -85, 180, 85], 3).length); }};";
  var worker = new Worker(URL.createObjectURL(new Blob([text, ";", job], {{ type: "text/javascript" }})));
  worker.onmessage = function (e) {{ document.getElementById("clusters").textContent = e.data + " cluster"; }};
  var points = [];
  for (var i = 0; i < 20; i++) points.push({{ type: "Feature", properties: {{}},
    geometry: {{ type: "Point", coordinates: [-0.2 + i * 0.001, 51.45 + i * 0.001] }} }});
  worker.postMessage(points);
}});
</script>
</body></html>
"""
OSM = 'L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {maxZoom: 19}).addTo(map);'


def write_page(tmp_path: Path, self_contained: bool, tiles: bool) -> Path:
    path = tmp_path / ("inline.html" if self_contained else "cdn.html")
    mode = "inline" if self_contained else "cdn"
    html = PAGE.format(head=assets.head_html(mode), worker=assets.worker_html(mode), tiles=OSM if tiles else "")
    path.write_text(html, encoding="utf-8")
    return path


def assert_map_works(mp) -> None:  # type: ignore[no-untyped-def]
    assert mp.evaluate("L.version") == "1.9.4"
    # the default marker's image rendered, and Supercluster clustered in its worker
    mp.wait_for_function(
        "() => { const i = document.querySelector('img.leaflet-marker-icon');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    mp.locator("#clusters", has_text="1 cluster").wait_for(state="attached")
    mp.wait_for_function(
        f"""() => [...document.fonts].some(f => f.family.replace(/"/g, '') === '{FA_FAMILY}'
                   && f.weight === '900' && f.status === 'loaded')"""
    )
    assert mp.evaluate(f"""document.fonts.ready.then(() => document.fonts.check('900 16px "{FA_FAMILY}"'))""")
    assert mp.evaluate(
        "getComputedStyle(document.getElementById('badge'), '::before').content"
    ) == '"\uf06d"'


def test_cdn_page_loads_offline(map_page, tmp_path: Path, screenshot) -> None:  # type: ignore[no-untyped-def]
    mp = map_page(write_page(tmp_path, self_contained=False, tiles=True))
    assert_map_works(mp)
    mp.wait_for_function(
        "() => [...document.querySelectorAll('img.leaflet-tile')].some(t => t.complete && t.naturalWidth === 256)"
    )
    screenshot(mp)
    mp.assert_clean()


def test_self_contained_page_needs_no_network(map_page, tmp_path: Path, screenshot) -> None:  # type: ignore[no-untyped-def]
    mp = map_page(write_page(tmp_path, self_contained=True, tiles=False), serve_cdn=False, serve_tiles=False)
    assert_map_works(mp)
    screenshot(mp)
    assert mp.escaped == []
    mp.assert_clean()


def test_harness_catches_escapes_and_dialogs(map_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "leaky.html"
    page.write_text(
        '<img src="https://example.com/beacon.png"><script>console.error("boom"); alert(1);</script>',
        encoding="utf-8",
    )
    mp = map_page(page)
    mp.wait_for_function("document.readyState === 'complete'")
    assert mp.escaped == ["https://example.com/beacon.png"]
    assert mp.dialogs == ["alert: 1"]
    assert any("boom" in m for m in mp.console_errors)
    for found in (mp.escaped, mp.failed, mp.console_errors, mp.page_errors, mp.dialogs):
        found.clear()  # expected here; the fixture's teardown would fail the test otherwise
