"""The map of a large dataset in headless Chromium: 10,000 incidents at 700 places.

The same checks a reader would make on the shipped map (tests/test_map_browser.py),
on data the size of a real conflict-event export, made by the benchmark's
generator (bench/synth.py): the map becomes ready with every marker, a type
filter hides exactly the places that have nothing else, and a popup lists the
incidents of a place. Timings are the benchmark's business (bench/run.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mapgen
from bench_data import synth
from playwright.sync_api import expect

from browser import expected_places, in_panel, places_drawn, search
from mapgen.dataset import Dataset
from mapgen.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
ROWS = 10_000


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Dataset]:
    folder = tmp_path_factory.mktemp("large")
    csv = synth().write_places_csv(folder / "places.csv", ROWS, seed=1)
    result = mapgen.build(csv, folder / "out", offline=True)
    return folder / "out" / "map.html", result.dataset


def test_generator_writes_the_same_valid_file_for_the_same_seed(tmp_path: Path):
    gen = synth()
    assert set(gen.TAGS) == set(load_taxonomy())
    first = gen.write_places_csv(tmp_path / "a.csv", 500, seed=7).read_bytes()
    assert gen.write_places_csv(tmp_path / "b.csv", 500, seed=7).read_bytes() == first
    ds = mapgen.load(tmp_path / "a.csv")
    assert len(ds.incidents) == 500 and 20 <= len(ds.places) <= 50
    assert set(ds.places["precision"]) == {"exact", "approximate", "city", "country"}


def test_large_map_filters_and_opens_popups(map_page, large: tuple[Path, Dataset]):
    html, ds = large
    assert len(ds.incidents) == ROWS
    mp = map_page(html)
    mp.wait_ready()
    mapped, panel = expected_places(ds)
    # at first every place is in view: the bubbles' numbers and the single markers add up to all of them
    places_drawn(mp, len(mapped))
    assert mp.locator(".mg-cluster-icon").count() > 0  # 700 places: clustered
    expect(mp.locator(".mg-counts")).to_have_text(
        f"{len(mapped)} of {len(mapped)} places on the map · {ROWS} of {ROWS} incidents")
    assert in_panel(mp) == panel

    # the commonest type: unchecking it hides the places that have nothing else, and only those
    box = mp.locator(".mg-types input[data-id='protest']")
    box.uncheck()
    keep = ds.incidents["tags"].map(lambda tags: tags != ["protest"])
    wanted = expected_places(ds, lambda row: row.tags != ["protest"])
    assert 0 < len(wanted[0]) < len(mapped)
    expect(mp.locator(".mg-counts")).to_have_text(
        f"{len(wanted[0])} of {len(mapped)} places on the map · {int(keep.sum())} of {ROWS} incidents")
    places_drawn(mp, len(wanted[0]))
    assert in_panel(mp) == wanted[1]
    box.check()
    places_drawn(mp, len(mapped))

    # the busiest place on the map, found by its name: its popup lists its incidents
    counts = ds.incidents["place"].value_counts()
    name = next(place for place in counts.index if place in set(mapped))
    assert name in search(mp, name)
    mp.locator(".mg-hit", has=mp.locator(".mg-hit-name", has_text=name)).first.click()
    expect(mp.get_by_role("dialog", name=name)).to_be_visible()
    mp.locator(".leaflet-popup-content .mg-loading").wait_for(state="detached")
    text = mp.locator(".leaflet-popup-content").inner_text()
    rows = ds.incidents[ds.incidents["place"] == name]
    assert rows["summary"].iloc[0] in text
    # a busy place shows its incidents 25 at a time; the reader asks for the rest
    items = mp.locator(".leaflet-popup-content li.mg-incident")
    assert items.count() == min(25, len(rows))
    more = mp.get_by_role("button", name=re.compile(r"^Show \d+ more"))
    while more.count():
        expect(more).to_have_text(re.compile(rf"\({len(rows) - items.count()} not shown yet\)$"))
        more.click()
    assert items.count() == len(rows)
    expect(mp.locator(".leaflet-popup-content .mg-summary").last).to_have_text(rows["summary"].iloc[-1])
