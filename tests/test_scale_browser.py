"""The map of a large dataset in headless Chromium: 10,000 incidents at 700 places.

The same checks a reader would make on the shipped map (tests/test_map_browser.py),
on data the size of a real conflict-event export, made by the benchmark's
generator (bench/synth.py): the map becomes ready with every marker, a type
filter hides exactly the places that have nothing else, and a popup lists the
incidents of a place. Timings are the benchmark's business (bench/run.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mapgen
from bench_data import synth
from browser import expected_places, in_panel, on_map, open_popup
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
    # markercluster adds markers in chunks: wait until all of them are in
    mp.wait_for_function("n => mapgen.app.cluster.getLayers().length === n", arg=len(mapped))
    assert (on_map(mp), in_panel(mp)) == (mapped, panel)
    assert mp.locator(".mg-counts").inner_text() == (
        f"{len(mapped)} of {len(mapped)} places on the map · {ROWS:,} of {ROWS:,} incidents".replace(",", ""))

    # the commonest type: unchecking it hides the places that have nothing else, and only those
    box = mp.locator(".mg-types input[data-id='protest']")
    box.uncheck()
    keep = ds.incidents["tags"].map(lambda tags: tags != ["protest"])
    wanted = expected_places(ds, lambda row: row.tags != ["protest"])
    assert (on_map(mp), in_panel(mp)) == wanted
    assert 0 < len(wanted[0]) < len(mapped)
    assert mp.locator(".mg-counts").inner_text() == (
        f"{len(wanted[0])} of {len(mapped)} places on the map · {int(keep.sum())} of {ROWS} incidents")
    box.check()
    assert (on_map(mp), in_panel(mp)) == (mapped, panel)

    # the busiest place on the map: its popup lists its incidents
    counts = ds.incidents["place"].value_counts()
    name = next(place for place in counts.index if place in set(mapped))
    text = open_popup(mp, name)
    rows = ds.incidents[ds.incidents["place"] == name]
    assert name in text
    assert rows["summary"].iloc[0] in text and rows["summary"].iloc[-1] in text
    assert mp.locator(".leaflet-popup-content li.mg-incident").count() == len(rows)
