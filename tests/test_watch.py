"""`mapgen watch`: saving places.csv updates the open page; a broken save shows a banner.

The page is served only to a browser that opened the link with the run's
secret (see test_serve_security.py for the refusals).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Iterator

import pytest

from browser import MARKERS, marker
from mapgen.serve.watch import LiveMap

HEADER = "place,lat,lon,precision,incidents,date,status,summary,source\n"
ROWS = (
    "Central square,43.2380,76.9450,exact,protest,2022-01-05,reported,Crowd gathers,Test wire\n"
    "Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,Flights stopped,Test wire\n"
)
NEW_ROW = "Railway station,43.2700,76.9400,approximate,gunfire,2022-01-07,unverified,Shots heard,Test wire\n"
BAD_ROW = 'Bad place,"<img src=x onerror=alert(1)>",76.9,exact,gunfire,2022-01-07,reported,x,Test wire\n'


def save(path: Path, text: str) -> None:
    """Save like an editor that writes a temporary file and renames it over the old one."""
    tmp = path.with_name(path.name + ".tmp~")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveMap, list[tuple[str, bool]], Path]]:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(HEADER + ROWS, encoding="utf-8")
    printed: list[tuple[str, bool]] = []
    live = LiveMap(csv_path, tmp_path / "out", port=0, echo=lambda m, e=False: printed.append((m, e)),
                   offline=True)
    opened: list[str] = []
    live.start(opener=opened.append)
    assert opened == [live.url]  # the browser opener was called once, with the served page
    stop, watching = threading.Event(), threading.Event()
    watcher = threading.Thread(target=live.watch, args=(stop, watching), daemon=True)
    watcher.start()
    assert watching.wait(10), "the file watcher did not start"
    yield live, printed, csv_path
    stop.set()
    watcher.join(timeout=5)
    live.close()


def names_on_map(mp) -> list[str]:
    return sorted(mp.evaluate(MARKERS))


def shows_place(mp, name: str) -> None:
    """Wait until the (reloaded) page draws the marker of ``name``."""
    marker(mp, name).wait_for(timeout=10_000)


def wait_ready(mp) -> None:
    mp.wait_for_function("document.documentElement.dataset.mapgenReady === '1'")


def stop_and_detach(live: LiveMap, mp) -> None:
    """Stop the server; the page is told, and its last request completes before it is closed."""
    live.close()
    mp.wait_for_function("document.documentElement.dataset.mapgenLive === 'stopped'", timeout=5000)
    assert "no longer updates" in mp.locator(".mapgen-live-banner").inner_text()


def test_saving_the_csv_updates_the_open_map_and_errors_show_as_a_banner(live, map_page, screenshot):
    live_map, printed, csv_path = live
    mp = map_page(live_map.url)
    wait_ready(mp)
    assert names_on_map(mp) == ["Airport", "Central square"]

    save(csv_path, HEADER + ROWS + NEW_ROW)
    shows_place(mp, "Railway station")
    wait_ready(mp)
    assert names_on_map(mp) == ["Airport", "Central square", "Railway station"]
    assert mp.locator(".mapgen-live-banner").count() == 0

    # a broken save: the terminal and the page say what is wrong; the last good map stays
    save(csv_path, HEADER + ROWS + NEW_ROW + BAD_ROW)
    banner = mp.locator(".mapgen-live-banner")
    banner.wait_for(timeout=5000)
    text = banner.inner_text()
    assert "places.csv:5: column 'lat': '<img src=x onerror=alert(1)>' is not a number" in text
    assert "last good version" in text
    assert banner.locator("img").count() == 0  # shown as text, never as markup
    assert names_on_map(mp) == ["Airport", "Central square", "Railway station"]
    errors = [m for m, is_error in printed if is_error]
    assert errors and "places.csv:5: column 'lat'" in errors[-1]
    screenshot(mp, "banner")

    # fixing the row removes the banner and shows the new place
    save(csv_path, HEADER + ROWS + NEW_ROW + BAD_ROW.replace('"<img src=x onerror=alert(1)>"', "43.25"))
    shows_place(mp, "Bad place")
    wait_ready(mp)
    assert mp.locator(".mapgen-live-banner").count() == 0

    # the files written are the plain build: no live-reload script, secret or file version in them
    built = (csv_path.parent / "out" / "map.html").read_text("utf-8")
    assert "__mapgen__" not in built and "mapgen-live" not in built
    assert live_map.token not in built and "mapgen-token" not in built and "mapgen-version" not in built
    served = mp.content()
    assert f'<meta name="mapgen-token" content="{live_map.token}">' in served
    assert f'<meta name="mapgen-version" content="{live_map.status.version}">' in served
    assert "?token=" not in mp.url  # the secret left the address bar
    assert "Bad place" in built
    stop_and_detach(live_map, mp)


def test_a_file_broken_from_the_start_shows_only_the_banner_until_fixed(tmp_path, map_page):
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(HEADER + "Nowhere,95,10,exact,gunfire,2022-01-05,reported,x,y\n", encoding="utf-8")
    printed: list[tuple[str, bool]] = []
    live = LiveMap(csv_path, tmp_path / "out", port=0, echo=lambda m, e=False: printed.append((m, e)),
                   offline=True)
    live.start()
    stop, watching = threading.Event(), threading.Event()
    watcher = threading.Thread(target=live.watch, args=(stop, watching), daemon=True)
    watcher.start()
    try:
        assert watching.wait(10), "the file watcher did not start"
        mp = map_page(live.url)
        banner = mp.locator(".mapgen-live-banner")
        banner.wait_for(timeout=5000)
        assert "'95' is not a latitude" in banner.inner_text()
        assert "No map yet" in mp.locator("body").inner_text()
        assert not (tmp_path / "out" / "map.html").exists()
        save(csv_path, HEADER + "Somewhere,45,10,exact,gunfire,2022-01-05,reported,x,y\n")
        mp.wait_for_function("document.documentElement.dataset.mapgenReady === '1'", timeout=8000)
        assert names_on_map(mp) == ["Somewhere"]
        assert mp.locator(".mapgen-live-banner").count() == 0
        stop_and_detach(live, mp)
    finally:
        stop.set()
        watcher.join(timeout=5)
        live.close()


def test_ctrl_c_stops_the_command_cleanly(tmp_path):
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(HEADER + ROWS, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapgen", "watch", str(csv_path), "-o", str(tmp_path / "out"), "--port", "0",
         "--no-open", "--offline"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )
    try:
        built = proc.stdout.readline()
        serving = proc.stdout.readline()
        assert built.startswith("Built in"), built + proc.stderr.read()
        url = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", serving).group()
        with pytest.raises(urllib.error.HTTPError, match="403"):  # the page needs the secret
            urllib.request.urlopen(url.split("?")[0], timeout=5)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = browser.open(url, timeout=5).read().decode("utf-8")  # sets the cookie, then redirects
        assert "Central square" in page and "data-map-version" in page
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out.strip() == "Stopped watching."
    assert "Traceback" not in err and err == ""
    port = int(re.search(r":(\d+)/", url).group(1))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_port_in_use_is_a_plain_error(tmp_path):
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(HEADER + ROWS, encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mapgen", "watch", str(csv_path), "-o", str(tmp_path / "out"),
             "--port", str(port), "--no-open", "--offline"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )
    assert result.returncode == 1
    assert f"Error: cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
