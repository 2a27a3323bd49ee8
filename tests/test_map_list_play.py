"""The List of incidents and Play, as a reader uses them: the table holds exactly the
incidents that pass the filters, and Play walks the date window through the days."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from playwright.sync_api import expect

import mapgen
from browser import expected_places, shows

#: Four days at three places; the station only on the 2nd and 4th.
DAYS_CSV = """place,lat,lon,precision,incidents,date,status,summary,source
Square,43.2380,76.9450,exact,protest,2024-05-01,confirmed,A rally,Wire
Square,,,,arrests,2024-05-02,reported,Arrests,Wire
Station,43.2600,76.9400,exact,protest,2024-05-02,reported,A rally,Wire
Market,43.2500,76.9200,exact,looting,2024-05-03,reported,Stalls looted,Wire
Station,,,,arrests,2024-05-04,disputed,Arrests,Wire
"""


def list_places(mp) -> list[str]:
    return mp.get_by_role("region", name="Incidents shown").locator("tbody tr td:first-child").all_inner_texts()


def test_the_list_holds_the_incidents_that_pass_the_filters(map_page, shipped_map: Path, shipped_data):
    mp = map_page(shipped_map)
    mp.wait_ready()
    mp.get_by_role("button", name="List").click()
    table = mp.get_by_role("region", name="Incidents shown")
    expect(table.locator("caption")).to_have_text("30 incidents pass the filters")
    names = shipped_data.places["place"].tolist()
    every = Counter(names[int(r.place_idx)] for r in shipped_data.incidents.itertuples())
    assert Counter(list_places(mp)) == every
    # sorted by date at first: the only incident of 7 January comes first
    expect(table.get_by_role("columnheader", name="Date")).to_have_attribute("aria-sort", "ascending")
    assert table.locator("tbody tr").first.locator("td").nth(2).inner_text().startswith("2022-01-07")

    # a filter changes the list with the map
    mp.get_by_role("checkbox", name="reported 25").uncheck()
    expect(table.locator("caption")).to_have_text("5 incidents pass the filters")
    unverified = Counter(names[int(r.place_idx)] for r in shipped_data.incidents.itertuples()
                         if r.status == "unverified")
    assert Counter(list_places(mp)) == unverified
    assert set(table.locator("tbody tr td:nth-child(4)").all_inner_texts()) == {"unverified"}

    # sorted by place, then the other way round
    table.get_by_role("button", name="Place").click()
    expect(table.get_by_role("columnheader", name="Place")).to_have_attribute("aria-sort", "ascending")
    assert list_places(mp) == sorted(unverified.elements())
    table.get_by_role("button", name="Place").click()
    expect(table.get_by_role("columnheader", name="Place")).to_have_attribute("aria-sort", "descending")
    assert list_places(mp) == sorted(unverified.elements(), reverse=True)

    # a place's name shows it on the map
    table.get_by_role("button", name="Mayor's office (akimat), Almaty").click()
    expect(mp.locator(".leaflet-popup-content h3")).to_have_text("Mayor's office (akimat), Almaty")

    # a reset shows every incident again; the List button, or the list's own Close, closes it
    mp.get_by_role("button", name="Reset filters").click()
    expect(table.locator("caption")).to_have_text("30 incidents pass the filters")
    mp.get_by_role("button", name="List").click()
    expect(table).to_have_count(0)
    mp.get_by_role("button", name="List").click()
    table.get_by_role("button", name="Close").click()
    expect(table).to_have_count(0)
    expect(mp.get_by_role("button", name="List")).to_be_focused()


def test_play_walks_the_date_window_through_the_days(map_page, tmp_path: Path):
    (tmp_path / "places.csv").write_text(DAYS_CSV, encoding="utf-8")
    mapgen.build(tmp_path / "places.csv", tmp_path / "out", offline=True)
    ds = mapgen.load(tmp_path / "places.csv")
    mp = map_page(tmp_path / "out" / "map.html")
    mp.wait_ready()
    start, end = mp.get_by_role("slider", name="From"), mp.get_by_role("slider", name="To")
    play = mp.get_by_role("button", name="Play")
    play.click()
    pause = mp.get_by_role("button", name="Pause")
    expect(pause).to_have_attribute("aria-pressed", "true")
    # a day at a time, in order: the window is that one day
    for day in ("2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04"):
        expect(start).to_have_attribute("aria-valuetext", day)
        expect(end).to_have_attribute("aria-valuetext", day)
    # at the end it stops by itself, the last day still shown
    expect(play).to_have_attribute("aria-pressed", "false")
    shows(mp, *expected_places(ds, lambda r: r.date == "2024-05-04"))
    assert mp.locator(".mg-counts").inner_text() == "1 of 3 places on the map · 1 of 5 incidents"

    # Pause holds the day it is on, and the map shows that day's places
    play.click()
    expect(start).to_have_attribute("aria-valuetext", "2024-05-01")
    expect(start).to_have_attribute("aria-valuetext", "2024-05-02")
    mp.get_by_role("button", name="Pause").click()
    expect(play).to_have_attribute("aria-pressed", "false")
    held = start.get_attribute("aria-valuetext")
    assert re.fullmatch(r"2024-05-0[234]", held) and end.get_attribute("aria-valuetext") == held
    shows(mp, *expected_places(ds, lambda r: r.date == held))
    expect(start).to_have_attribute("aria-valuetext", held)  # and it stays there
