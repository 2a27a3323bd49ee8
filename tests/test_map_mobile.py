"""The shipped map on a phone (375×667): panels fold away, everything stays reachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser import marker, search, view_of

PHONE = (375, 667)


def box(locator) -> dict[str, float]:
    return locator.bounding_box()


def inside_screen(b: dict[str, float]) -> bool:
    return b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= PHONE[0] and b["y"] + b["height"] <= PHONE[1]


#: True once every name beside a marker is wholly on a screen of the given size.
NAMES_ON_SCREEN = """([w, h]) => [...document.querySelectorAll('.mg-name')].every(n => {
  const r = n.getBoundingClientRect();
  return r.left >= 0 && r.top >= 0 && r.right <= w && r.bottom <= h;
})"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.fixture
def phone(map_page, shipped_map: Path):
    mp = map_page(shipped_map, viewport=PHONE)
    mp.wait_ready()
    return mp


def test_panels_start_folded_and_open_on_demand(phone, screenshot):
    mp = phone
    toggle = mp.get_by_role("button", name="Show filters and legend")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not mp.get_by_role("searchbox").is_visible()
    side = mp.get_by_role("button", name="Country-wide and elsewhere (3)")
    assert side.get_attribute("aria-expanded") == "false"
    assert not mp.locator(".mg-offmap article").first.is_visible()
    # folded, the panels leave the map free: together they cover under a tenth of the screen
    covered = sum(b["width"] * b["height"] for b in (box(mp.locator(".mg-panel")), box(mp.locator(".mg-offmap"))))
    assert covered < 0.1 * PHONE[0] * PHONE[1]
    assert mp.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing sticks out sideways
    screenshot(mp, "folded")

    toggle.click()
    assert mp.get_by_role("button", name="Hide filters and legend").get_attribute("aria-expanded") == "true"
    panel = box(mp.locator(".mg-panel"))
    assert inside_screen(panel)
    for control in (".leaflet-control-zoom", ".leaflet-control-layers", ".mg-fullscreen"):
        assert not overlap(panel, box(mp.locator(control))), control  # the map's buttons stay reachable
    gunfire = mp.get_by_label("Gunfire")
    gunfire.scroll_into_view_if_needed()
    gunfire.uncheck()
    expect(mp.locator(".mg-counts")).to_have_text("8 of 9 places on the map · 27 of 30 incidents")
    screenshot(mp, "panel-open")
    mp.get_by_role("button", name="Hide filters and legend").click()
    assert not gunfire.is_visible()

    side.click()
    assert side.get_attribute("aria-expanded") == "true"
    card = mp.locator(".mg-offmap article").first
    assert card.locator("h3").inner_text() == "Kazakhstan (nationwide)"
    assert inside_screen(box(mp.locator(".mg-offmap")))
    assert box(mp.locator(".mg-offmap"))["height"] < 0.6 * PHONE[1]
    screenshot(mp, "side-panel-open")
    side.click()
    assert not card.is_visible()


def test_map_is_usable_on_a_phone(phone, screenshot):
    mp = phone
    zoom, _, _ = view_of(mp.evaluate("location.href"))
    mp.get_by_role("button", name="Zoom out", exact=True).click()
    mp.wait_for_function("z => location.hash.startsWith('#map=' + z + '/')", arg=zoom - 1)
    marker(mp, "Almaty International Airport").click()
    popup = mp.locator(".leaflet-popup")
    popup.locator("h3").wait_for()
    # the map pans until the whole popup is on the screen
    expect(popup).to_be_in_viewport(ratio=1)
    assert inside_screen(box(popup))
    assert popup.locator("li.mg-incident").count() == 2
    # the names beside the markers are placed again for the panned view: none runs off the screen
    mp.wait_for_function(NAMES_ON_SCREEN, arg=list(PHONE))
    name = marker(mp, "Almaty International Airport").locator(".mg-name")  # in full, or shortened with it as hint
    assert "Almaty International Airport" in (name.text_content(), name.get_attribute("title"))
    screenshot(mp, "popup")
    mp.get_by_role("button", name="Close", exact=True).click()
    popup.wait_for(state="detached")
    # search from the folded panel: it opens, finds, and folds again to show the place
    mp.get_by_role("button", name="Show filters and legend").click()
    assert search(mp, "Flughafen") == ["Almaty International Airport"]
    mp.locator(".mg-hit").first.click()
    expect(mp.get_by_role("dialog", name="Almaty International Airport")).to_be_visible()
    assert mp.get_by_role("button", name="Show filters and legend").get_attribute("aria-expanded") == "false"
