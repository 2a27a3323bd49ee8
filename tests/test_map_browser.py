"""The shipped map, opened in headless Chromium: what a reader sees."""

from __future__ import annotations

from pathlib import Path

import pytest

import mapgen

ROOT = Path(__file__).resolve().parents[1]
NAMED = ["Almaty", "Presidential residence, Almaty", "Mayor's office (akimat), Almaty",
         "Almaty International Airport"]


@pytest.fixture(scope="module")
def shipped_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shipped")
    mapgen.build(ROOT / "places.csv", out, offline=True)
    return out / "map.html"


def ready(mp) -> None:
    mp.wait_for_function("document.documentElement.dataset.mapgenReady === '1'")


def test_every_located_place_has_one_marker(map_page, shipped_map, screenshot):
    mp = map_page(shipped_map)
    ready(mp)
    ds = mapgen.load(ROOT / "places.csv")
    on_map = mp.evaluate("mapgen.app.visiblePlaceNames()")
    in_panel = mp.evaluate(
        "Array.from(document.querySelectorAll('.mg-offmap article h3')).map(h => h.textContent)")
    # every place of the CSV is shown exactly once: as a marker, or in the side panel
    assert sorted(on_map + in_panel) == sorted(ds.places["place"])
    for name in NAMED:
        assert name in on_map
    assert "Kazakhstan (nationwide)" in in_panel and "Moscow (Kremlin), Russia" in in_panel
    # one Leaflet marker object per mapped place, and the cluster group holds exactly those
    assert mp.evaluate("mapgen.app.cluster.getLayers().length") == len(on_map)
    screenshot(mp, "desktop")


def test_popup_lists_incidents_of_the_place(map_page, shipped_map):
    mp = map_page(shipped_map)
    ready(mp)
    mp.evaluate("""() => new Promise(done => {
        const app = mapgen.app;
        const p = app.data.places.name.indexOf("Almaty International Airport");
        app.cluster.zoomToShowLayer(app.markers[p], () => { app.markers[p].openPopup(); done(); });
    })""")
    popup = mp.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Almaty International Airport" in text
    assert "Closure" in text and "Evacuation" in text
    assert "Exact location" in text
    assert "DW, 8 Jan 2022" in text
    assert "report date" in text  # the day of the incident is not known, and it says so


def test_uncertain_places_are_drawn_as_areas_not_pins(map_page, shipped_map):
    mp = map_page(shipped_map)
    ready(mp)
    kinds = mp.evaluate("""() => {
        const app = mapgen.app, out = {};
        app.data.places.name.forEach((name, p) => {
            if (app.data.places.panel[p]) return;
            out[name] = {circle: !!app.circles[p] && app.areas.hasLayer(app.circles[p]),
                         pin: app.markers[p].options.icon.options.html.classList.contains('mg-pin')};
        });
        return out;
    }""")
    assert kinds["Almaty International Airport"] == {"circle": False, "pin": True}
    assert kinds["Bakery near the presidential residence"] == {"circle": True, "pin": False}
    assert kinds["Petrol station in Almaty"] == {"circle": True, "pin": False}
