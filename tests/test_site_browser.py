"""A site (`mapgen build --site`) of 100,000 incidents, served by `mapgen serve`, in Chromium.

The first view loads only what it needs; the incidents' texts come when a
popup asks for them; the filters give the same counts as the single-file map
of the same data. Every request but those to the local server is refused.
Timings are the benchmark's business (bench/run.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

import mapgen
from bench_data import synth
from browser import expected_places, is_tile_url, places_drawn, search
from mapgen.dataset import Dataset
from mapgen.page.data import incident_order
from mapgen.page.data import CHUNK
from mapgen.serve.site import start

ROWS = 100_000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Dataset]:
    """The same data as a site and as one map.html."""
    folder = tmp_path_factory.mktemp("site")
    csv = synth().write_places_csv(folder / "places.csv", ROWS, seed=5)
    result = mapgen.build(csv, folder / "site", offline=True, formats=("site",))
    mapgen.build(csv, folder / "single", offline=True, formats=("html",))
    return folder / "site", folder / "single" / "map.html", result.dataset


@pytest.fixture
def served(built: tuple[Path, Path, Dataset]) -> Iterator[str]:
    server = start(built[0])
    yield server.url
    server.close()


def test_a_site_loads_its_texts_only_when_a_popup_asks(map_page, built, served, screenshot):
    folder, _, ds = built
    mp = map_page(served, serve_cdn=False)  # the pinned files come from the site itself
    requested = mp.requested
    mp.wait_ready()
    mapped, panel = expected_places(ds)
    places_drawn(mp, len(mapped))
    # before any popup: the first view's data, and the texts of the cards beside the map (their first incidents)
    order, starts = incident_order(ds), {}
    for position, row in enumerate(order.tolist()):
        starts.setdefault(int(ds.incidents["place_idx"].iat[row]), position)
    names = ds.places["place"].tolist()
    beside = {f"data/texts/{starts[names.index(name)] // CHUNK}.json" for name in panel}
    asked = [re.sub(r"^http://127\.0\.0\.1:\d+/", "", u) for u in requested if "/data/" in u]
    assert asked[0] == "data/map.json" and set(asked[1:]) <= beside, asked
    assert all(u.startswith("http://127.0.0.1:") or u.startswith(("data:", "blob:")) or is_tile_url(u)
               for u in requested)  # the pinned files too: nothing from a CDN
    loaded = sum((folder / name).stat().st_size for name in {re.sub(r"^http://127\.0\.0\.1:\d+/", "", u)
                                                           for u in requested} if (folder / name).is_file())
    assert loaded < 0.25 * sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())  # a fraction of the site
    before = len(requested)

    # a place found by its name: its popup fetches its incidents' texts
    counts = ds.incidents["place"].value_counts()
    name = next(place for place in counts.index if place in set(mapped))
    assert name in search(mp, name)
    mp.locator(".mg-hit", has=mp.locator(".mg-hit-name", has_text=name)).first.click()
    popup = mp.get_by_role("dialog", name=name)
    expect(popup).to_be_visible()
    rows = ds.incidents[ds.incidents["place"] == name]
    expect(popup.locator(".mg-summary").first).to_have_text(rows["summary"].iloc[0])
    expect(popup.locator(".mg-loading")).to_have_count(0)
    assert popup.locator("li.mg-incident").count() == min(25, len(rows))  # the rest when asked for
    expect(popup.get_by_role("button", name=re.compile(r"^Show \d+ more"))).to_have_text(
        f"Show 25 more ({len(rows) - 25} not shown yet)")
    assert [u for u in requested[before:] if "/data/texts/" in u]  # fetched now, not before
    screenshot(mp)


def test_a_site_filters_as_the_single_file_map_does(map_page, built, served):
    _, single, ds = built
    site = map_page(served, serve_cdn=False)
    one = map_page(single)
    for page in (site, one):
        page.wait_ready()
    for step in ("protest", "unverified", "reset"):
        for page in (site, one):
            if step == "protest":
                page.locator(".mg-types input[data-id='protest']").uncheck()
            elif step == "unverified":
                page.get_by_role("checkbox", name=re.compile(r"^unverified \d+$")).uncheck()
            else:
                page.get_by_role("button", name="Reset filters").click()
        expected = {"protest": lambda r: r.tags != ["protest"],
                    "unverified": lambda r: r.tags != ["protest"] and r.status != "unverified",
                    "reset": lambda r: True}[step]
        mapped, _ = expected_places(ds)
        shown, _ = expected_places(ds, expected)
        n = sum(1 for row in ds.incidents.itertuples() if expected(row))
        text = f"{len(shown)} of {len(mapped)} places on the map · {n} of {ROWS} incidents"
        for page in (site, one):  # the same counts, and the same number of places drawn
            expect(page.locator(".mg-counts")).to_have_text(text)
            places_drawn(page, len(shown))
