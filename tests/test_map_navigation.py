"""Finding and sharing places on the shipped map: search, permalink, keyboard."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import expect

from browser import counts_text, expected_places, in_panel, marker, on_map, search, shows, view_of

MAYOR = "Mayor's office (akimat), Almaty"
CHECKED = "() => [...document.querySelectorAll('.mg-panel input[type=checkbox]')].filter(i => i.checked).map(i => i.dataset.id)"


SEARCHES = [  # (typed, place found, alias shown)
    ("Bürgermeisteramt", MAYOR, "Bürgermeisteramt"),
    ("burgermeister", MAYOR, "Bürgermeisteramt"),      # without the umlaut, lower case
    ("Алматы", "Almaty", "Алматы"),
    ("Tankstelle", "Petrol station in Almaty", "Tankstelle"),  # one of five places on the same point
]


def test_search_finds_a_place_by_alias_and_opens_it(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    for query, place, alias in SEARCHES:
        hits = search(mp, query)
        assert place in hits, query
        hit = mp.locator(".mg-hit", has=mp.locator(".mg-hit-name", has_text=place)).first
        assert hit.locator(".mg-hit-alias").inner_text() == alias
        hit.click()
        expect(mp.locator(".leaflet-popup-content h3").last).to_have_text(place)  # once zoomed there
        mp.wait_for_function("document.activeElement.classList.contains('mg-place')")  # focus moved to the popup
        assert f"&place={place}" in unquote(mp.evaluate("location.hash"))  # the link now points at it


def test_search_reaches_side_panel_places_and_says_when_nothing_matches(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    assert search(mp, "Kasachstan") == ["Kazakhstan (nationwide)"]
    mp.get_by_role("searchbox").press("Enter")
    card = mp.locator(".mg-offmap article.mg-flash")
    assert card.locator("h3").inner_text() == "Kazakhstan (nationwide)"
    mp.wait_for_function("document.activeElement.textContent === 'Kazakhstan (nationwide)'")
    assert search(mp, "Atlantis") == []
    assert mp.locator(".mg-nohit").inner_text() == "No place matches."
    assert len(search(mp, "almaty")) == 8  # name or alias, any case


def test_permalink_restores_view_and_filters(map_page, shipped_map: Path, shipped_data):
    hash_ = "#map=15/43.23760/76.94560&types=gunfire,arson&status=unverified&dates=2022-01-08,2022-01-08"
    mp = map_page(shipped_map.resolve().as_uri() + hash_)
    mp.wait_ready()
    zoom, lat, lon = view_of(mp.evaluate("location.href"))
    assert zoom == 15 and lat == pytest.approx(43.2376, abs=1e-5) and lon == pytest.approx(76.9456, abs=1e-5)
    assert mp.evaluate(CHECKED) == ["gunfire", "arson", "unverified"]
    assert mp.get_by_role("slider", name="From").get_attribute("aria-valuetext") == "2022-01-08"
    wanted = expected_places(shipped_data, lambda r: bool({"gunfire", "arson"} & set(r.tags))
                             and r.status == "unverified" and r.date == "2022-01-08")
    assert mp.evaluate("location.hash") == hash_  # the link stays as shared
    # zoomed in on the mayor's office: only the places in view are drawn
    mp.get_by_role("button", name="Zoom out").click()
    mp.get_by_role("button", name="Zoom out").click()
    mp.get_by_role("button", name="Zoom out").click()
    shows(mp, *wanted)
    assert on_map(mp) == ["Almaty", "Bakery near the presidential residence", MAYOR]


def test_permalink_opens_the_shared_place(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map.resolve().as_uri() + "#map=13/43.25/76.95&place=" + quote(MAYOR, safe=""))
    mp.wait_ready()
    expect(mp.get_by_role("dialog", name=MAYOR)).to_be_visible()
    # a link followed on the open page (the hash changes) is applied too
    mp.evaluate("location.hash = '#map=12/43.26/76.95&status=reported&place=' + encodeURIComponent('Almaty')")
    expect(mp.get_by_role("dialog", name="Almaty", exact=True)).to_be_visible()
    assert mp.evaluate(CHECKED)[-1] == "reported"
    assert "unverified" not in mp.evaluate(CHECKED)
    shows(mp, *expected_places(shipped_data, lambda r: r.status == "reported"))


def test_what_a_reader_sees_is_what_the_link_shows(map_page, shipped_map: Path, shipped_data):
    first = map_page(shipped_map)
    first.wait_ready()
    first.get_by_label("Closure").uncheck()
    first.get_by_role("checkbox", name="unverified 5").uncheck()
    expect(first.locator(".mg-counts")).to_have_text(counts_text(
        shipped_data, lambda r: (set(r.tags) != {"closure"}) and r.status != "unverified"))
    first.get_by_role("button", name="Zoom in", exact=True).click()
    first.wait_for_function("location.hash.startsWith('#map=13/')")
    first.locator(".leaflet-container").focus()
    for key in ["ArrowUp"] * 4 + ["ArrowRight"] * 5:  # pan with the keyboard, 80 px a step
        before = first.evaluate("location.hash")
        first.keyboard.press(key)
        first.wait_for_function("h => location.hash !== h", arg=before)  # the link follows the view
    airport = marker(first, "Almaty International Airport")
    airport.click()
    popup = first.locator(".leaflet-popup-content")
    assert popup.locator("li.mg-incident").count() == 1  # the closure is filtered out
    first.wait_for_function("location.hash.includes('place=')")
    link = first.evaluate("location.href")

    second = map_page(link)
    second.wait_ready()
    expect(second.get_by_role("dialog", name="Almaty International Airport")).to_be_visible()
    assert second.evaluate(CHECKED) == first.evaluate(CHECKED)
    assert "closure" not in second.evaluate(CHECKED) and "unverified" not in second.evaluate(CHECKED)
    assert (on_map(second), in_panel(second)) == (on_map(first), in_panel(first))
    zoom1, lat1, lon1 = view_of(first.evaluate("location.href"))
    zoom2, lat2, lon2 = view_of(second.evaluate("location.href"))
    assert zoom2 == zoom1 and (lat2, lon2) == pytest.approx((lat1, lon1), abs=1e-4)
    assert second.locator(".leaflet-popup-content").inner_text() == popup.inner_text()
    assert second.locator(".mg-counts").inner_text() == first.locator(".mg-counts").inner_text()


def test_keyboard_reaches_markers_and_filters(map_page, shipped_map: Path):
    mp = map_page(shipped_map)
    mp.wait_ready()
    seen, marker_label = [], None
    for _ in range(60):
        mp.keyboard.press("Tab")
        focus = mp.evaluate("""() => { const e = document.activeElement;
            return {kind: e.classList.contains('leaflet-marker-icon') ? 'marker' : e.tagName.toLowerCase(),
                    id: e.dataset.id || '', label: e.getAttribute('aria-label') || ''}; }""")
        seen.append(focus)
        if focus["kind"] == "marker" and "incident" in focus["label"] and marker_label is None:
            marker_label = focus["label"]
            mp.keyboard.press("Enter")  # opens the popup and moves focus into it
            mp.wait_for_function("document.activeElement.classList.contains('mg-place')")
            assert marker_label.startswith(mp.locator(".leaflet-popup-content h3").inner_text() + ":")
            mp.keyboard.press("Escape")  # closes it and returns to the marker
            mp.wait_for_function("!document.querySelector('.leaflet-popup')")
            assert mp.evaluate("document.activeElement.getAttribute('aria-label')") == marker_label
        if focus["id"] == "gunfire":
            break
    assert marker_label is not None, seen
    assert seen[-1] == {"kind": "input", "id": "gunfire", "label": ""}
    assert {"kind": "input", "id": "", "label": "Search places"} in seen
    mp.keyboard.press("Space")  # toggles the focused filter
    assert mp.locator(".mg-types input[data-id=gunfire]").is_checked() is False
    # 4 incidents are gunfire; one of them also casualties, so it stays
    expect(mp.locator(".mg-counts")).to_have_text(re.compile("27 of 30 incidents$"))
