"""Editing on the map in Chromium, as a person does it: drag, click, type; then the bytes of places.csv.

`mapgen watch` serves the map with the run's secret; "Edit map" makes the
markers draggable and adds forms to the popups. After each save the server
rebuilds the map and the page reloads, keeping its view; each test checks the
file's bytes (only the changed cells change) and what the page says.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from browser import marker, open_popup
from mapgen.serve.watch import LiveMap

CSV = (
    "place,lat,lon,precision,incidents,date,date_precision,status,summary,source\n"
    "Airport,43.35210,77.04050,exact,closure,2022-01-08,report,reported,Flights stopped,DW\n"
    "Akimat,43.23760,76.94560,exact,arson,2022-01-07,day,unverified,Set on fire,DW\n"
    "Almaty,43.2565,76.9285,city,curfew,2022-01-07,day,reported,Curfew announced,DW\n"
    "Bakery by the old square,,,approximate,aid,2022-01-08,report,reported,Free bread,DW\n"
)
SAVED = "Saved to places.csv. 1 edit can be undone."


class Watched:
    """A `mapgen watch` of a places.csv in a temporary folder, and the page it serves."""

    def __init__(self, folder: Path, csv: str, watching: bool = True) -> None:
        self.csv = folder / "places.csv"
        self.csv.write_text(csv, encoding="utf-8")
        self.live = LiveMap(self.csv, folder / "out", port=0, echo=lambda m, e=False: None, offline=True)
        self.url = self.live.start()
        self.stop = threading.Event()
        self.thread = None
        if watching:
            started = threading.Event()
            self.thread = threading.Thread(target=self.live.watch, args=(self.stop, started), daemon=True)
            self.thread.start()
            assert started.wait(10), "the file watcher did not start"

    def close(self) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join(timeout=5)
        self.live.close()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    served = Watched(tmp_path, CSV)
    yield served
    served.close()


def editing(map_page, url: str, viewport: tuple[int, int] = (1280, 800)):
    """The served page, with "Edit map" switched on."""
    mp = map_page(url, viewport)
    mp.wait_ready()
    toggle = mp.get_by_role("button", name="Edit map")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    return mp


def drag(mp, name: str, dx: float, dy: float) -> None:
    """Drag the marker of ``name`` with the mouse by (dx, dy) pixels, in small steps as a hand does."""
    box = marker(mp, name).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    mp.mouse.move(x, y)
    mp.mouse.down()
    mp.mouse.move(x + dx / 2, y + dy / 2, steps=8)
    mp.mouse.move(x + dx, y + dy, steps=8)
    mp.mouse.up()


def toolbar(mp):
    """The editing toolbar: its buttons, the places not on the map yet, what it says."""
    return mp.get_by_role("region", name="Edit map")


def saved(mp, message: str = SAVED) -> None:
    """Wait until the page, reloaded with the rebuilt map, says the edit was saved (each message of a test
    differs from the one before: it counts the edits Undo can take back)."""
    expect(toolbar(mp).get_by_role("status")).to_have_text(message, timeout=15_000)
    mp.wait_ready()


def refused_with(mp, status: int) -> None:
    """The server refused the edit with this HTTP status (the browser logs it as an error; here it is expected)."""
    expected = [e for e in mp.console_errors if f"status of {status} " in e and "/__mapgen__/edit" in e]
    assert expected, mp.console_errors
    for error in expected:
        mp.console_errors.remove(error)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new) if a != b]


def test_dragging_a_marker_saves_its_new_position_and_nothing_else(map_page, watched, screenshot):
    mp = editing(map_page, watched.url)
    drag(mp, "Airport", -80, 60)
    saved(mp)
    after = watched.csv.read_text("utf-8")
    [(old, new)] = changed_lines(CSV, after)  # `git diff` shows one line
    old_cells, new_cells = old.split(","), new.split(",")
    assert [k for k in range(len(old_cells)) if old_cells[k] != new_cells[k]] == [1, 2]  # lat and lon only
    lat, lon = float(new_cells[1]), float(new_cells[2])
    assert all(len(c.split(".")[1]) <= 5 for c in new_cells[1:3])  # 5 decimals, about a metre
    assert lat < 43.3521 and lon < 77.0405  # moved down and to the left
    # the page came back with the map rebuilt, still editing, the marker where it was dropped
    expect(mp.get_by_role("button", name="Edit map")).to_have_attribute("aria-pressed", "true")
    expect(marker(mp, "Airport")).to_be_visible()
    screenshot(mp)


def test_a_place_not_on_the_map_yet_is_placed_with_a_click(map_page, watched):
    mp = editing(map_page, watched.url)
    unlocated = mp.locator("details.mg-unlocated")
    expect(unlocated.locator("summary")).to_have_text("Not on the map yet (1)")
    mp.get_by_role("button", name="Place on the map: Bakery by the old square").click()
    expect(toolbar(mp).get_by_role("status")).to_have_text(
        "Click the map where Bakery by the old square is; Escape cancels.")
    size = mp.viewport_size
    mp.mouse.click(size["width"] * 0.55, size["height"] * 0.6)
    saved(mp)
    lines = watched.csv.read_text("utf-8").splitlines()
    cells = lines[4].split(",")
    assert cells[0] == "Bakery by the old square" and cells[1] and cells[2]
    assert lines[:4] == CSV.splitlines()[:4]
    expect(marker(mp, "Bakery by the old square")).to_be_visible()
    assert not mp.locator("details.mg-unlocated").count()  # nothing left to place


def test_an_incident_at_a_new_place_is_added_with_a_click_on_the_map(map_page, watched):
    mp = editing(map_page, watched.url)
    toolbar(mp).get_by_role("button", name="Add incident").click()
    expect(toolbar(mp).get_by_role("status")).to_have_text("Click the map where the new place is; Escape cancels.")
    size = mp.viewport_size
    mp.mouse.click(size["width"] * 0.6, size["height"] * 0.35)
    form = mp.get_by_role("dialog", name="New incident")
    lat, lon = form.get_by_label("Latitude").input_value(), form.get_by_label("Longitude").input_value()
    assert 42 < float(lat) < 45 and 75 < float(lon) < 79 and len(lat.split(".")[1]) <= 5
    form.get_by_label("Place").fill("Republic Square")
    form.get_by_label("Protest").check()
    form.get_by_label("Date (YYYY-MM-DD)").fill("2022-01-05")
    form.get_by_label("Summary").fill("Crowds gathered")
    form.get_by_role("button", name="Save").click()
    saved(mp)
    lines = watched.csv.read_text("utf-8").splitlines()
    assert lines[:-1] == CSV.splitlines()  # one line added at the end, nothing else changed
    assert lines[-1] == f"Republic Square,{lat},{lon},approximate,protest,2022-01-05,,reported,Crowds gathered,"
    expect(marker(mp, "Republic Square")).to_be_visible()


def test_coordinates_typed_with_the_keyboard_only(map_page, watched):
    mp = editing(map_page, watched.url)
    marker(mp, "Akimat").focus()
    mp.keyboard.press("Enter")  # opens the popup, focus in it
    expect(mp.get_by_role("dialog", name="Akimat")).to_be_visible()
    location = mp.get_by_role("button", name="Edit location")
    location.focus()
    mp.keyboard.press("Enter")
    latitude = mp.get_by_label("Latitude")
    expect(latitude).to_be_focused()
    latitude.fill("")
    mp.keyboard.insert_text("43.2347, 76.9478")  # a pair pasted into one field fills both
    expect(latitude).to_have_value("43.2347")
    expect(mp.get_by_label("Longitude")).to_have_value("76.9478")
    mp.keyboard.press("Enter")  # submits the form
    saved(mp)
    [(_, new)] = changed_lines(CSV, watched.csv.read_text("utf-8"))
    assert new == "Akimat,43.23470,76.94780,exact,arson,2022-01-07,day,unverified,Set on fire,DW"  # 5 decimals


def test_a_city_asks_before_it_becomes_an_exact_spot(map_page, watched):
    mp = editing(map_page, watched.url)
    drag(mp, "Almaty", 50, 50)
    question = mp.get_by_role("dialog", name="How precisely is the new spot known?")
    expect(question).to_contain_text("Almaty is known only at the level of a city.")
    question.get_by_role("button", name="Save as exact").click()
    saved(mp)
    [(_, new)] = changed_lines(CSV, watched.csv.read_text("utf-8"))
    assert re.fullmatch(r"Almaty,43\.\d{1,5},76\.\d{1,5},exact,curfew,2022-01-07,day,reported,Curfew announced,DW", new)


def test_an_incident_with_a_bad_date_shows_the_error_at_the_date_and_writes_nothing(map_page, watched):
    mp = editing(map_page, watched.url)
    marker(mp, "Airport").click()
    mp.get_by_role("button", name="Add incident here").click()
    form = mp.get_by_role("dialog", name="New incident")
    expect(form.get_by_label("Place")).to_have_value("Airport")
    form.get_by_label("Evacuation").check()
    form.get_by_label("Date (YYYY-MM-DD)").fill("8 January")
    form.get_by_label("Summary").fill("Tourists flown home")
    form.get_by_role("button", name="Save").click()
    date = form.get_by_label("Date (YYYY-MM-DD)")
    expect(date).to_have_attribute("aria-invalid", "true")
    # the message `mapgen validate` gives, at the field
    expect(form.locator("#mg-edit-date-error")).to_have_text(
        "'8 January' is not a date; write YYYY-MM-DD (e.g. 2022-01-08). If a spreadsheet changed it, format the "
        "column as text.")
    assert watched.csv.read_text("utf-8") == CSV
    refused_with(mp, 422)
    date.fill("2022-01-09")
    form.get_by_role("button", name="Save").click()
    saved(mp)
    lines = watched.csv.read_text("utf-8").splitlines()
    assert lines[:-1] == CSV.splitlines()
    assert lines[-1] == "Airport,,,,evacuation,2022-01-09,,reported,Tourists flown home,"


def test_an_incident_is_changed_and_deleted_from_its_popup(map_page, watched):
    mp = editing(map_page, watched.url)
    marker(mp, "Akimat").click()
    mp.get_by_role("button", name="Edit the incident of line 3").click()
    form = mp.get_by_role("dialog", name="Change the incident of line 3")
    expect(form.get_by_label("Summary")).to_have_value("Set on fire")
    form.get_by_label("Status").select_option("confirmed")
    form.get_by_role("button", name="Save").click()
    saved(mp)
    [(_, new)] = changed_lines(CSV, watched.csv.read_text("utf-8"))
    assert new == "Akimat,43.23760,76.94560,exact,arson,2022-01-07,day,confirmed,Set on fire,DW"

    marker(mp, "Airport").click()
    mp.get_by_role("button", name="Delete the incident of line 2").click()
    ask = mp.get_by_role("dialog", name="Delete")
    expect(ask).to_contain_text("Delete the incident of line 2 from places.csv?")
    ask.get_by_role("button", name="Delete").click()
    saved(mp, "Saved to places.csv. 2 edits can be undone.")
    assert "Airport" not in watched.csv.read_text("utf-8")


@pytest.mark.parametrize("lock", [".~lock.places.csv#", "~$places.csv"])  # LibreOffice, Excel
def test_an_edit_while_the_file_is_open_in_a_spreadsheet_is_refused(map_page, watched, lock):
    mp = editing(map_page, watched.url)
    (watched.csv.parent / lock).write_text("", "utf-8")
    marker(mp, "Akimat").click()
    mp.get_by_role("button", name="Edit location").click()
    mp.get_by_label("Latitude").fill("43.2")
    mp.get_by_role("button", name="Save").click()
    expect(toolbar(mp).get_by_role("alert")).to_contain_text("places.csv is open in a spreadsheet; nothing was saved.")
    assert watched.csv.read_text("utf-8") == CSV
    refused_with(mp, 423)


def test_an_edit_after_the_file_changed_on_disk_is_refused_and_the_new_data_shown(map_page, tmp_path):
    served = Watched(tmp_path, CSV, watching=False)  # nobody notices the change but the edit
    try:
        mp = editing(map_page, served.url)
        changed = CSV.replace("Flights stopped", "Flights stopped for two days")
        served.csv.write_text(changed, encoding="utf-8")  # someone else saved meanwhile
        marker(mp, "Akimat").click()
        mp.get_by_role("button", name="Edit location").click()
        mp.get_by_label("Latitude").fill("43.2")
        mp.get_by_role("button", name="Save").click()
        expect(toolbar(mp).get_by_role("alert")).to_have_text(
            "The file changed; reloaded with the new data. Your edit was not saved; please repeat it.", timeout=15_000)
        assert served.csv.read_text("utf-8") == changed  # their work is kept
        mp.wait_ready()
        refused_with(mp, 409)
        # the page shows the new data (and the popup that was open, Akimat's, closes for Airport's)
        assert "Flights stopped for two days" in open_popup(mp, "Airport")
    finally:
        served.close()


def test_three_edits_undone_give_back_the_original_bytes(map_page, watched):
    mp = editing(map_page, watched.url)
    for n, value in enumerate(("43.1", "43.2", "43.3"), start=1):
        marker(mp, "Akimat").click()
        mp.get_by_role("button", name="Edit location").click()
        mp.get_by_label("Latitude").fill(value)
        mp.get_by_role("button", name="Save").click()
        saved(mp, f"Saved to places.csv. {n} edit{'s' if n > 1 else ''} can be undone.")
    assert watched.csv.read_text("utf-8") != CSV
    undo = mp.get_by_role("button", name="Undo")
    undo.click()
    saved(mp, "Undone in places.csv. 2 edits can be undone.")
    assert "Akimat,43.20000," in watched.csv.read_text("utf-8")
    mp.locator(".leaflet-container").focus()
    mp.keyboard.press("Control+z")
    saved(mp, "Undone in places.csv. 1 edit can be undone.")
    mp.locator(".leaflet-container").focus()
    mp.keyboard.press("Control+z")
    saved(mp, "Undone in places.csv. Nothing more to undo.")
    assert watched.csv.read_bytes() == CSV.encode("utf-8")
    expect(mp.get_by_role("button", name="Undo")).to_be_disabled()


class ForgingSite(BaseHTTPRequestHandler):
    """Another web site the user visits: its page posts to the editing server behind their back."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802
        body = f"""<!doctype html><meta charset="utf-8"><title>innocent</title>
<form id="f" method="post" action="{self.target}/__mapgen__/edit" enctype="text/plain">
<input name='{{"op":"delete_incident","line":2,"x":"' value='"}}'></form>
<script>
fetch("{self.target}/__mapgen__/edit", {{method: "POST", mode: "no-cors", credentials: "include",
  body: JSON.stringify({{op: "delete_incident", line: 2}})}}).finally(() => document.getElementById("f").submit());
</script>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return


def test_a_forged_request_from_another_site_changes_nothing(map_page, watched):
    mp = editing(map_page, watched.url)  # the user has the map open: the browser holds the secret's cookie
    ForgingSite.target = watched.url.split("/?")[0].rstrip("/")
    other = ThreadingHTTPServer(("127.0.0.1", 0), ForgingSite)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        page = mp.context.new_page()
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        page.wait_for_url(re.compile(r"/__mapgen__/edit$"))  # the form was sent, and refused
        page.close()
    finally:
        other.shutdown()
        other.server_close()
    assert watched.csv.read_text("utf-8") == CSV  # nothing was deleted
    # without the secret, even this server's own page shows nothing
    bare = map_page(watched.url.split("?")[0].replace("127.0.0.1", "localhost"))
    expect(bare.locator("body")).not_to_contain_text("Airport")
    assert [e for e in bare.console_errors if "403 (Forbidden)" in e]  # refused, as it should be
    bare.console_errors.clear()


def test_the_german_map_edits_in_german(map_page, tmp_path):
    (tmp_path / "mapgen.toml").write_text('lang = "de"\n', "utf-8")
    served = Watched(tmp_path, CSV)
    try:
        mp = map_page(served.url)
        mp.wait_ready()
        mp.get_by_role("button", name="Karte bearbeiten").click()
        expect(mp.locator("details.mg-unlocated summary")).to_have_text("Noch nicht auf der Karte (1)")
        marker(mp, "Akimat").click()
        mp.get_by_role("button", name="Lage bearbeiten").click()
        form = mp.get_by_role("dialog", name="Lage von Akimat")
        expect(form.get_by_label("Breitengrad")).to_be_visible()
        expect(form.get_by_label("Längengrad")).to_be_visible()
        expect(form.get_by_role("button", name="Speichern")).to_be_visible()
    finally:
        served.close()
