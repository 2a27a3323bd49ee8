"""The shipped map, opened in headless Chromium on a desktop screen: what a reader sees."""

from __future__ import annotations

from pathlib import Path

import math
import re

import pytest
from playwright.sync_api import expect

import mapgen
from browser import counts_text, expected_places, in_panel, marker, on_map, open_popup, shows, view_of

NAMED = ["Almaty", "Presidential residence, Almaty", "Mayor's office (akimat), Almaty",
         "Almaty International Airport"]
PANEL = ["Bank branches with ATMs (several cities)", "Kazakhstan (nationwide)", "Moscow (Kremlin), Russia"]


def test_every_located_place_has_one_marker(map_page, shipped_map: Path, shipped_data, screenshot):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mapped, panel = on_map(mp), in_panel(mp)
    # every place of the CSV is shown exactly once: as a marker of its own, or in the side panel
    assert sorted(mapped + panel) == sorted(shipped_data.places["place"])
    assert (mapped, panel) == expected_places(shipped_data)
    assert set(NAMED) <= set(mapped) and panel == PANEL
    assert mp.locator(".leaflet-marker-icon.mg-icon").count() == len(mapped)  # one each, no bubble
    assert mp.locator(".mg-counts").inner_text() == "9 of 9 places on the map · 30 of 30 incidents"
    screenshot(mp, "desktop")


def test_clicking_a_marker_opens_its_popup(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    airport = marker(mp, "Almaty International Airport")
    expect(airport).to_have_accessible_name("Almaty International Airport: 2 incidents")  # exact, reported
    airport.click()
    popup = mp.locator(".leaflet-popup-content")
    assert popup.locator("h3").inner_text() == "Almaty International Airport"
    assert popup.locator(".mg-precision").inner_text() == "Exact location"
    items = popup.locator("li.mg-incident")
    assert items.count() == 2
    assert items.nth(0).locator(".mg-tag").inner_text().strip() == "Closure"
    assert items.nth(1).locator(".mg-tag").inner_text().strip() == "Evacuation"
    assert items.nth(1).locator(".mg-summary").inner_text().startswith("25 Russian tourists")
    assert items.nth(0).locator(".mg-source").inner_text() == "Source: DW, 8 Jan 2022"
    # the day of the incident is not known, only the report's date, and it says so
    assert items.nth(0).locator(".mg-date").inner_text() == (
        "2022-01-08 (report date; the day of the incident is not given)")
    assert not popup.locator(".mg-hidden").count()


def test_the_first_view_names_every_place_without_overlap(map_page, shipped_map: Path, shipped_data, screenshot):
    """Issue 16: the small map opens with each place its own marker and its name beside it."""
    for size in ((1280, 800), (375, 667)):
        mp = map_page(shipped_map, size)
        mp.wait_ready()
        names = mp.locator(".mg-name")
        shown = names.all_inner_texts()
        boxes = [names.nth(k).bounding_box() for k in range(names.count())]
        icons = [icon.bounding_box() for icon in mp.locator(".leaflet-marker-icon .mg-marker").all()]
        for a in range(len(boxes)):  # no two names overlap, and none covers a marker
            for b in range(a + 1, len(boxes)):
                assert not overlap(boxes[a], boxes[b]), (shown[a], shown[b])
            assert not any(overlap(boxes[a], icon) for icon in icons), shown[a]
        mapped, _ = expected_places(shipped_data)
        if size[0] > 600:  # a desktop screen has room for every name, the long ones shortened
            assert len(shown) == len(mapped)
        # the residence and the mayor's office, 350 m apart, are both named at first view
        for place, short in (("Presidential residence, Almaty", "Presidential residence"),
                             ("Mayor's office (akimat), Almaty", "Mayor's office (akimat)")):
            assert place in shown or short in shown, (size, shown)
            expect(marker(mp, place)).to_be_visible()
        screenshot(mp, f"{size[0]}x{size[1]}")


#: True once every name beside a marker is clear of every panel and button over the map.
NAMES_CLEAR = """() => {
  const over = [...document.querySelectorAll('.leaflet-control')].map(n => n.getBoundingClientRect()).filter(r => r.width);
  const names = [...document.querySelectorAll('.mg-name')].map(n => n.getBoundingClientRect());
  return names.length > 0 && names.every(a => over.every(b =>
    a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top));
}"""


def test_names_stay_clear_of_the_panels_when_the_reader_pans(map_page, shipped_map: Path, shipped_data):
    """A small pan moves the names with the map; those that would run under a panel are placed again."""
    mp = map_page(shipped_map)
    mp.wait_ready()
    assert mp.evaluate(NAMES_CLEAR)  # the first view
    before = mp.evaluate("location.hash")
    mp.mouse.move(700, 300)
    mp.mouse.down()
    mp.mouse.move(720, 300, steps=5)
    mp.mouse.move(740, 300, steps=5)  # 40 px to the right: the names on the right reach the side panel
    mp.mouse.up()
    mp.wait_for_function("h => location.hash !== h", arg=before)  # the link follows the view
    mp.wait_for_function(NAMES_CLEAR)
    mapped, _ = expected_places(shipped_data)
    assert len(mp.locator(".mg-name").all_inner_texts()) == len(mapped)


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_uncertain_places_are_areas_explained_in_popup_and_legend(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    places = shipped_data.places.set_index("place")
    mapped, _ = expected_places(shipped_data)
    zoom, _, _ = view_of(mp.evaluate("location.hash"))
    for name in mapped:
        precision = places.at[name, "precision"]
        label = marker(mp, name).get_attribute("aria-label")
        shape = marker(mp, name).locator(".mg-marker")
        if precision == "exact":  # a pin, and a screen reader hears no doubt about the spot
            expect(shape).to_have_class(re.compile(r"\bmg-pin\b"))
            assert "location" not in label and "known" not in label, label
        else:  # a dashed ring, said in words
            expect(shape).to_have_class(re.compile(r"\bmg-ring\b"))
            said = re.sub(r"^.*: \d+ incidents?, ", "", label)
            assert said == {"approximate": "approximate location", "city": "only the city is known"}[precision], label
    # each area of uncertainty is a dashed circle of its radius (places on one spot share one)
    areas = mp.locator("path.mg-area")
    spots = {(row.lat, row.lon, row.radius_m) for row in places.loc[mapped].itertuples() if row.radius_m > 0}
    assert areas.count() == len(spots)
    widths = sorted(areas.nth(k).bounding_box()["width"] for k in range(areas.count()))
    metres_per_pixel = 156543.03392 * math.cos(math.radians(43.24)) / 2 ** zoom
    assert widths == pytest.approx(sorted(2 * r / metres_per_pixel + 2 for _, _, r in spots), abs=2)  # + stroke
    assert all(areas.nth(k).get_attribute("stroke-dasharray") == "6 6" for k in range(areas.count()))
    assert "Only the city is known: the point is the city centre, the circle shows roughly 8 km" in open_popup(
        mp, "Petrol station in Almaty")
    assert "Approximate location: somewhere within about 1 km of the marked point" in open_popup(
        mp, "Bakery near the presidential residence")
    legend = mp.locator(".mg-legend")
    assert legend.locator("summary").inner_text() == "Legend"
    text = legend.inner_text()
    assert "Pin: the exact spot is known" in text
    assert "Dashed ring and dashed circle: approximate or only the city is known" in text


def test_side_panel_lists_country_wide_incidents_with_sources(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    panel = mp.locator(".mg-offmap")
    toggle = panel.get_by_role("button", name="Country-wide and elsewhere (3)")
    assert toggle.get_attribute("aria-expanded") == "true"
    names = shipped_data.places["place"]
    incidents = shipped_data.incidents
    for name in PANEL:
        card = panel.locator("article", has=mp.locator("h3", has_text=name))
        rows = incidents[incidents["place_idx"] == int((names == name).idxmax())]
        assert card.locator(".mg-summary").all_inner_texts() == rows["summary"].tolist()
        assert card.locator(".mg-source").all_inner_texts() == ["Source: " + s for s in rows["source"]]
    toggle.click()  # the panel folds away and opens again
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not panel.locator("article").first.is_visible()
    toggle.click()
    assert panel.locator("article").first.is_visible()


def test_type_filter_hides_and_shows_the_right_places(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mp.get_by_role("button", name="Incident types: none").click()
    shows(mp, [], [])
    boxes = mp.locator(".mg-types input[type=checkbox]")
    ids = [boxes.nth(i).get_attribute("data-id") for i in range(boxes.count())]
    assert ids[0] == "gunfire" and ids[-1] == "context" and len(ids) == 15
    for tag in ids:
        box = mp.locator(f".mg-types input[data-id='{tag}']")
        box.check()

        def keep(r, tag=tag):
            return tag in r.tags if tag != "context" else not r.tags

        shows(mp, *expected_places(shipped_data, keep))
        expect(mp.locator(".mg-counts")).to_have_text(counts_text(shipped_data, keep))
        box.uncheck()
        shows(mp, [], [])
    mp.get_by_role("button", name="Incident types: all").click()
    shows(mp, *expected_places(shipped_data))
    # unchecking one type hides only the places that have nothing else
    mp.get_by_label("Security deployment").uncheck()
    shows(mp, *expected_places(shipped_data, lambda r: r.tags != ["deployment"]))


def test_status_filter_hides_and_shows_the_right_places(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    labels = mp.locator(".mg-statuses label").all_inner_texts()
    assert [label.split("\n")[0].strip() for label in labels] == ["reported", "unverified"]
    mp.get_by_role("checkbox", name="reported 25").uncheck()
    shows(mp, *expected_places(shipped_data, lambda r: r.status == "unverified"))
    assert on_map(mp) == ["Almaty", "Bakery near the presidential residence", "Mayor's office (akimat), Almaty"]
    mp.get_by_role("checkbox", name="unverified 5").uncheck()
    shows(mp, [], [])
    expect(mp.locator(".mg-counts")).to_have_text("0 of 9 places on the map · 0 of 30 incidents")
    mp.get_by_role("checkbox", name="reported 25").check()
    shows(mp, *expected_places(shipped_data, lambda r: r.status == "reported"))
    mp.get_by_role("button", name="Reset filters").click()
    shows(mp, *expected_places(shipped_data))


def test_popup_lists_only_incidents_passing_the_filters(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mp.get_by_role("button", name="Incident types: none").click()
    mp.get_by_label("Gunfire").check()
    open_popup(mp, "Almaty")
    popup = mp.locator(".leaflet-popup-content")
    tags = popup.locator("li.mg-incident .mg-tags").all_inner_texts()
    assert len(tags) == 2 and all("Gunfire" in t for t in tags)
    assert popup.locator(".mg-hidden").inner_text() == "9 more hidden by the filters"


def test_date_slider_hides_and_shows_the_right_places(map_page, shipped_map: Path, shipped_data, screenshot):
    mp = map_page(shipped_map)
    mp.wait_ready()
    start, end = mp.get_by_role("slider", name="From"), mp.get_by_role("slider", name="To")
    assert (start.get_attribute("aria-valuetext"), end.get_attribute("aria-valuetext")) == ("2022-01-07", "2022-01-08")
    bars = mp.locator(".mg-histogram g")
    assert bars.count() == 2
    assert bars.nth(0).locator("title").text_content() == "2022-01-07: 1"
    assert bars.nth(1).locator("title").text_content() == "2022-01-08: 29"
    # most dates are only the report's date: the bar says so with its lighter part
    assert bars.nth(1).locator("rect.mg-vague").count() == 1
    assert "only report date, week or month" in mp.locator(".mg-histobox").inner_text()

    end.focus()
    mp.keyboard.press("ArrowLeft")  # to 2022-01-07
    expect(end).to_have_attribute("aria-valuetext", "2022-01-07")
    shows(mp, *expected_places(shipped_data, lambda r: r.date == "2022-01-07"))
    assert "mg-out" in bars.nth(1).get_attribute("class")
    expect(mp.locator(".mg-offmap-toggle")).to_have_text(re.compile(r"\(0\)$"))
    screenshot(mp, "one-day")

    mp.keyboard.press("ArrowRight")
    start.focus()
    mp.keyboard.press("ArrowRight")  # from 2022-01-08
    expect(start).to_have_attribute("aria-valuetext", "2022-01-08")
    shows(mp, *expected_places(shipped_data, lambda r: r.date == "2022-01-08"))
    assert "Almaty" in on_map(mp)  # Almaty has incidents on both days
    expect(mp.locator(".mg-counts")).to_have_text("9 of 9 places on the map · 29 of 30 incidents")


TILES = "() => [...document.querySelectorAll('img.leaflet-tile')].map(t => t.src)"


def test_basemap_switcher_and_attribution(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mp.wait_for_selector("img.leaflet-tile-loaded")
    assert all(u.startswith("https://tile.openstreetmap.org/") for u in mp.evaluate(TILES))
    attribution = mp.locator(".leaflet-control-attribution")
    assert "© OpenStreetMap contributors" in attribution.inner_text()
    assert attribution.get_by_role("link", name="OpenStreetMap").get_attribute("href") == (
        "https://www.openstreetmap.org/copyright")
    mp.locator(".leaflet-control-layers").hover()
    choices = mp.locator(".leaflet-control-layers-base label")
    assert [c.strip() for c in choices.all_inner_texts()] == ["OpenStreetMap", "Light", "Satellite"]
    mp.get_by_label("Satellite").check()
    mp.wait_for_function("[...document.querySelectorAll('img.leaflet-tile')].some(t => t.src.includes('World_Imagery'))")
    assert "Esri" in attribution.inner_text() and "OpenStreetMap" not in attribution.inner_text()
    mp.get_by_label("Light").check()
    mp.wait_for_function("[...document.querySelectorAll('img.leaflet-tile-loaded')]"
                         ".some(t => t.src.includes('World_Light_Gray_Base'))")
    assert attribution.inner_text().endswith("Tiles © Esri — Esri, DeLorme, NAVTEQ")
    assert all(u.startswith("https://server.arcgisonline.com/ArcGIS/rest/services/Canvas/World_Light_Gray_Base/")
               for u in mp.evaluate(TILES))


def test_scale_bar_and_fullscreen(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    assert mp.locator(".leaflet-control-scale-line").first.inner_text().endswith(("km", " m"))
    mp.get_by_role("button", name="Full screen", exact=True).click()
    # what the reader sees: the button turns into "Leave full screen", pressed, whenever the browser says so
    leave = mp.get_by_role("button", name="Leave full screen")
    expect(leave).to_have_attribute("aria-pressed", "true")
    assert mp.evaluate("document.fullscreenElement === document.querySelector('.leaflet-container')")
    leave.click()
    expect(mp.get_by_role("button", name="Full screen", exact=True)).to_have_attribute("aria-pressed", "false")
    assert mp.evaluate("document.fullscreenElement") is None


SMALL_CSV = """place,lat,lon,precision,incidents,date,date_precision,status,summary,source
Square,51.5,7.46,exact,protest,2024-05-01,week,confirmed,Crowd on the square,Radio
Square,,,,arrests,,,disputed,Arrests claimed,Blog
Station,51.52,7.45,approximate,,2024-05-01,day,candidate,Seen near the station,Radio
"""


def test_small_map_without_time_span_or_side_panel(map_page, tmp_path: Path):
    (tmp_path / "places.csv").write_text(SMALL_CSV, encoding="utf-8")
    mapgen.build(tmp_path / "places.csv", tmp_path / "out", offline=True)
    mp = map_page(tmp_path / "out" / "map.html")
    mp.wait_ready()
    assert on_map(mp) == ["Square", "Station"] and not mp.locator(".mg-offmap").count()
    time = mp.locator(".mg-time")
    assert not time.get_by_role("slider").count()  # one day: nothing to slide
    assert time.locator(".mg-range").inner_text() == "2024-05-01"
    assert time.locator(".mg-note").inner_text() == "Incidents without a date (1) are always shown."
    text = open_popup(mp, "Square")
    assert "2024-05-01 (within that week)" in text and "date unknown" in text
    assert "confirmed" in text and "disputed" in text
    # only a candidate report at the station: its ring says "?", and its name says why
    expect(marker(mp, "Station")).to_have_accessible_name("Station: 1 incident, approximate location, not confirmed")
    expect(marker(mp, "Station").locator(".mg-marker")).to_have_class(re.compile(r"\bmg-ring\b.*\bmg-doubtful\b"))
    expect(marker(mp, "Square")).to_have_accessible_name("Square: 2 incidents")
    assert [c.split("\n")[0].strip() for c in mp.locator(".mg-types label").all_inner_texts()] == [
        "Protest", "Arrests", "Context (no incident)"]
