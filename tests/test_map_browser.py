"""The shipped map, opened in headless Chromium on a desktop screen: what a reader sees."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

import mapgen
from browser import AREAS, expected_places, in_panel, on_map, open_popup

NAMED = ["Almaty", "Presidential residence, Almaty", "Mayor's office (akimat), Almaty",
         "Almaty International Airport"]
PANEL = ["Bank branches with ATMs (several cities)", "Kazakhstan (nationwide)", "Moscow (Kremlin), Russia"]


def test_every_located_place_has_one_marker(map_page, shipped_map: Path, shipped_data, screenshot):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mapped, panel = on_map(mp), in_panel(mp)
    # every place of the CSV is shown exactly once: as a marker, or in the side panel
    assert sorted(mapped + panel) == sorted(shipped_data.places["place"])
    assert (mapped, panel) == expected_places(shipped_data)
    assert set(NAMED) <= set(mapped) and panel == PANEL
    assert mp.evaluate("mapgen.app.cluster.getLayers().length") == len(mapped)
    assert mp.locator(".mg-counts").inner_text() == "9 of 9 places on the map · 30 of 30 incidents"
    screenshot(mp, "desktop")


def test_clicking_a_marker_opens_its_popup(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    marker = mp.get_by_role("button", name="Almaty International Airport: 2 incidents")
    marker.hover()
    assert mp.locator(".leaflet-tooltip").inner_text() == "Almaty International Airport"
    marker.click()
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


def test_uncertain_places_are_areas_explained_in_popup_and_legend(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    areas = mp.evaluate(AREAS)
    places = shipped_data.places.set_index("place")
    mapped, _ = expected_places(shipped_data)
    for name in mapped:
        precision = places.at[name, "precision"]
        icon_class = mp.evaluate(
            "n => mapgen.app.markers[mapgen.app.data.places.name.indexOf(n)].options.icon.options.html.className", name)
        if precision == "exact":
            assert name not in areas and "mg-pin" in icon_class, name
        else:  # a dashed ring as the marker, and a dashed circle of the uncertainty radius
            assert "mg-ring" in icon_class and "mg-pin" not in icon_class, name
            assert areas[name] == {"radius": places.at[name, "radius_m"], "dash": "6 6"}, name
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
    assert on_map(mp) == [] and in_panel(mp) == []
    boxes = mp.locator(".mg-types input[type=checkbox]")
    ids = [boxes.nth(i).get_attribute("data-id") for i in range(boxes.count())]
    assert ids[0] == "gunfire" and ids[-1] == "context" and len(ids) == 15
    for tag in ids:
        box = mp.locator(f".mg-types input[data-id='{tag}']")
        box.check()
        wanted = expected_places(shipped_data, lambda r: tag in r.tags if tag != "context" else not r.tags)
        assert (on_map(mp), in_panel(mp)) == wanted, tag
        box.uncheck()
    mp.get_by_role("button", name="Incident types: all").click()
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data)
    # unchecking one type hides only the places that have nothing else
    mp.get_by_label("Security deployment").uncheck()
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data, lambda r: r.tags != ["deployment"])


def test_status_filter_hides_and_shows_the_right_places(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    labels = mp.locator(".mg-statuses label").all_inner_texts()
    assert [label.split("\n")[0].strip() for label in labels] == ["reported", "unverified"]
    mp.get_by_role("checkbox", name="reported 25").uncheck()
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data, lambda r: r.status == "unverified")
    assert on_map(mp) == ["Almaty", "Bakery near the presidential residence", "Mayor's office (akimat), Almaty"]
    mp.get_by_role("checkbox", name="unverified 5").uncheck()
    assert on_map(mp) == [] and in_panel(mp) == []
    assert mp.locator(".mg-counts").inner_text() == "0 of 9 places on the map · 0 of 30 incidents"
    mp.get_by_role("checkbox", name="reported 25").check()
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data, lambda r: r.status == "reported")
    mp.get_by_role("button", name="Reset filters").click()
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data)


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
    mp.wait_for_function("mapgen.app.cluster.getLayers().length === 1")
    assert end.get_attribute("aria-valuetext") == "2022-01-07"
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data, lambda r: r.date == "2022-01-07")
    assert "mg-out" in bars.nth(1).get_attribute("class")
    assert mp.locator(".mg-offmap-toggle").inner_text().endswith("(0)")
    screenshot(mp, "one-day")

    mp.keyboard.press("ArrowRight")
    start.focus()
    mp.keyboard.press("ArrowRight")  # from 2022-01-08
    mp.wait_for_function("mapgen.app.filters.from === mapgen.app.maxDay && mapgen.app.cluster.getLayers().length === 9")
    assert (on_map(mp), in_panel(mp)) == expected_places(shipped_data, lambda r: r.date == "2022-01-08")
    assert "Almaty" in on_map(mp)  # Almaty has incidents on both days
    assert "9 of 9 places on the map · 29 of 30 incidents" == mp.locator(".mg-counts").inner_text()


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
    station = mp.evaluate("mapgen.app.markers[1].options.icon.options.html.className")
    assert "mg-ring" in station and "mg-doubtful" in station  # only a candidate report there: "?"
    assert "mg-doubtful" not in mp.evaluate("mapgen.app.markers[0].options.icon.options.html.className")
    assert [c.split("\n")[0].strip() for c in mp.locator(".mg-types label").all_inner_texts()] == [
        "Protest", "Arrests", "Context (no incident)"]
