"""The server of `mapgen watch` lets in only the page it served, in the browser that opened its link.

Real server on 127.0.0.1 (port 0), real HTTP requests: forged ones (another
Host as after DNS rebinding, another site's Origin, no secret, a form's
content type) are refused for reading as for writing, and the CSV keeps its
bytes; the page's own requests read, edit, rebuild and undo.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from mapgen.edit import fingerprint
from mapgen.serve.watch import LiveMap

CSV = (
    "place,lat,lon,precision,incidents,date,status,summary,source\n"
    "Central square,43.2380,76.9450,exact,protest,2022-01-05,reported,Secret witness account,Test wire\n"
    "Airport,43.3521,77.0405,exact,closure,2022-01-06,reported,Flights stopped,Test wire\n"
    "Qwxyz yard,,,,gunfire,2022-01-07,unverified,Shots heard,Test wire\n"
)
#: What no refusal may contain: the data.
SECRETS = ("Secret witness", "Central square", "43.238")


@dataclass
class Served:
    live: LiveMap
    csv_path: Path

    @property
    def port(self) -> int:
        return int(self.live.url.split(":")[2].split("/")[0])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cookie(self) -> str:
        return f"mapgen-token-{self.port}={self.live.token}"

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                cookie: bool = True, origin: bool | None = None) -> tuple[int, dict[str, str], bytes]:
        """A request as the served page makes it (cookie; for POST, JSON and this Origin), unless told otherwise."""
        sent = {}
        if cookie:
            sent["Cookie"] = self.cookie
        if origin if origin is not None else method == "POST":
            sent["Origin"] = self.origin
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode("utf-8")
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def info(self) -> dict[str, Any]:
        status, _, body = self.request("GET", "/__mapgen__/edit/info")
        assert status == 200, body
        return json.loads(body)

    def edit(self, **body: Any) -> tuple[int, dict[str, Any]]:
        status, _, answer = self.request("POST", "/__mapgen__/edit", {"version": self.info()["version"], **body})
        return status, json.loads(answer)


def start(tmp_path: Path, text: str = CSV, **options: Any) -> Served:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text(text, "utf-8")
    live = LiveMap(csv_path, tmp_path / "out", port=0, echo=lambda message, is_error=False: None, offline=True,
                   **options)
    live.start()
    return Served(live, csv_path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    served = start(tmp_path)
    yield served
    served.live.close()


def refused(status: int, body: bytes) -> bool:
    return status == 403 and body.startswith(b"refused: ") and not any(s.encode() in body for s in SECRETS)


MOVE = {"op": "set_location", "place": "Airport", "lat": 43.36, "lon": 77.05}
READS = ["/", "/map.html", "/places.geojson", "/__mapgen__/state?since=-1", "/__mapgen__/edit/info",
         "/__mapgen__/edit/row?line=2"]


# -- the secret ------------------------------------------------------------------------------

def test_the_printed_link_sets_the_cookie_and_leaves_the_address_bar(served):
    assert served.live.url == f"{served.origin}/?token={served.live.token}"
    assert len(served.live.token) >= 40
    status, headers, body = served.request("GET", f"/?token={served.live.token}&x=1", cookie=False)
    assert status == 303 and headers["location"] == "/?x=1" and body == b""
    assert headers["set-cookie"] == f"{served.cookie}; Path=/; HttpOnly; SameSite=Strict"

    status, headers, body = served.request("GET", "/")
    assert status == 200 and b"Central square" in body
    page = body.decode("utf-8")
    assert f'<meta name="mapgen-token" content="{served.live.token}">' in page
    assert f'<meta name="mapgen-version" content="{fingerprint(served.csv_path.read_bytes())}">' in page
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    # the built file is the plain map
    built = (served.csv_path.parent / "out" / "map.html").read_text("utf-8")
    assert served.live.token not in built and "mapgen-token" not in built and "mapgen-version" not in built


@pytest.mark.parametrize("path", READS)
def test_reading_anything_needs_the_secret(served, path):
    assert refused(*served.request("GET", path, cookie=False)[::2])
    assert refused(*served.request("GET", path, cookie=False, headers={"Cookie": f"mapgen-token-{served.port}=guess"})[::2])
    assert refused(*served.request("GET", path, cookie=False, headers={"X-Mapgen-Token": "guess"})[::2])
    status, _, body = served.request("GET", path, cookie=False, headers={"X-Mapgen-Token": served.live.token})
    assert status == 200, body  # the header is as good as the cookie


def test_a_link_with_a_wrong_secret_sets_nothing(served):
    status, headers, body = served.request("GET", "/?token=guess", cookie=False)
    assert refused(status, body) and "set-cookie" not in headers
    assert b"the link that mapgen printed when it started (`mapgen watch` or `mapgen serve`" in body


def test_another_servers_cookie_is_not_this_ones(tmp_path, served):
    folder = tmp_path / "other"
    folder.mkdir()
    other = start(folder)
    try:
        status, _, body = served.request("GET", "/", cookie=False, headers={"Cookie": other.cookie})
        assert refused(status, body)
    finally:
        other.live.close()


# -- Host and Origin -------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1:1", "localhost.evil.example:{port}",
                                  "127.0.0.1.nip.io:{port}", "[::1]:{port}", ""])
def test_a_foreign_host_is_refused_even_with_the_secret(served, host):
    """DNS rebinding: another site's page reaches 127.0.0.1 under its own name, which it sends as Host."""
    before = served.csv_path.read_bytes()
    forged = {"Host": host.format(port=served.port)}
    for path in READS:
        assert refused(*served.request("GET", path, headers=forged)[::2]), path
    version = fingerprint(before)
    assert refused(*served.request("POST", "/__mapgen__/edit", {**MOVE, "version": version}, headers=forged)[::2])
    assert refused(*served.request("POST", "/__mapgen__/undo", {}, headers=forged)[::2])
    assert served.csv_path.read_bytes() == before


def test_both_names_of_this_server_are_let_in(served):
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}", f"LOCALHOST:{served.port}"):
        assert served.request("GET", "/", headers={"Host": host})[0] == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}",
                                    "http://127.0.0.1:{port}.evil.example"])
def test_another_sites_origin_is_refused(served, origin):
    """A form or a script on another site (or another local server's page) sends its own Origin."""
    before = served.csv_path.read_bytes()
    forged = {"Origin": origin.format(port=served.port)}
    assert refused(*served.request("GET", "/__mapgen__/edit/info", headers=forged)[::2])
    assert refused(*served.request("GET", "/", headers=forged)[::2])
    assert refused(*served.request("POST", "/__mapgen__/edit", {**MOVE, "version": fingerprint(before)},
                                   headers=forged)[::2])
    assert served.csv_path.read_bytes() == before


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                  None])
def test_a_write_must_be_json(served, kind):
    """The content types an HTML form (or a script without asking first) can send are refused."""
    before = served.csv_path.read_bytes()
    body = json.dumps({**MOVE, "version": fingerprint(before)}).encode("utf-8")
    headers = {"Content-Type": kind} if kind else {}
    assert refused(*served.request("POST", "/__mapgen__/edit", body, headers=headers)[::2])
    assert served.csv_path.read_bytes() == before


def test_a_write_needs_this_origin_and_the_secret(served):
    before = served.csv_path.read_bytes()
    move = {**MOVE, "version": fingerprint(before)}
    assert refused(*served.request("POST", "/__mapgen__/edit", move, origin=False)[::2])
    assert refused(*served.request("POST", "/__mapgen__/edit", move, cookie=False)[::2])
    assert refused(*served.request("POST", "/__mapgen__/undo", {}, cookie=False)[::2])
    assert served.csv_path.read_bytes() == before


def test_no_other_site_is_given_permission_to_ask(served):
    status, headers, _ = served.request("OPTIONS", "/__mapgen__/edit", cookie=False, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-mapgen-token"})
    assert status == 405 and not any(name.startswith("access-control-") for name in headers)


# -- the page's own edits --------------------------------------------------------------------

def test_an_edit_from_the_page_is_saved_and_the_map_rebuilt(served):
    before = served.csv_path.read_bytes()
    info = served.info()
    assert info["version"] == fingerprint(before) and info["lines"] == [2, 3, 4] and info["undo"] == 0
    assert info["unlocated"] == [{"place": "Qwxyz yard", "line": 4}]  # listed, not an error
    assert [c["name"] for c in info["columns"]][:3] == ["place", "address", "lat"]
    assert {"id": "exact", "label": "exact"} in info["choices"]["precision"]
    map_before = served.live.status.map

    status, answer = served.edit(**MOVE)
    assert status == 200 and answer["ok"] and answer["built"] and answer["undo"] == 1 and answer["line"] == 3
    after = served.csv_path.read_bytes()
    assert after == before.replace(b"Airport,43.3521,77.0405,", b"Airport,43.36000,77.05000,")
    assert answer["version"] == fingerprint(after) and answer["map"] == map_before + 1
    assert "43.36" in (served.csv_path.parent / "out" / "places.geojson").read_text("utf-8")
    page = served.request("GET", "/")[2].decode("utf-8")
    assert f'<meta name="mapgen-version" content="{fingerprint(after)}">' in page


def test_a_place_not_on_the_map_yet_is_placed(served):
    status, answer = served.edit(op="set_location", place="Qwxyz yard", lat=43.25, lon=76.93)
    assert status == 200 and answer["ok"]
    assert "Qwxyz yard,43.25000,76.93000,,gunfire" in served.csv_path.read_text("utf-8")
    assert served.info()["unlocated"] == []


def test_a_mistake_is_named_at_its_field_and_nothing_is_written(served):
    before = served.csv_path.read_bytes()
    status, answer = served.edit(op="add_incident", cells={"place": "Airport", "incidents": ["gunfire"],
                                                            "date": "2022-02-30", "status": "confirmed"})
    assert status == 422 and answer["reason"] == "invalid"
    assert answer["error"] == "Not saved: please correct the marked fields."
    assert answer["problems"] == [{"field": "date", "line": 5, "message": "'2022-02-30' is not a real calendar date.",
                                   "text": "places.csv:5: column 'date': '2022-02-30' is not a real calendar date."}]
    assert served.csv_path.read_bytes() == before


def test_an_edit_of_a_file_changed_on_disk_is_refused_and_the_map_reloaded(served):
    seen = served.info()["version"]
    served.csv_path.write_text(CSV + "Bazaar,43.26,76.95,exact,looting,2022-01-09,reported,x,y\n", "utf-8")
    now = served.csv_path.read_bytes()
    status, _, body = served.request("POST", "/__mapgen__/edit", {**MOVE, "version": seen})
    answer = json.loads(body)
    assert status == 409 and answer["reason"] == "changed"
    assert answer["error"].startswith("The file changed; reloaded with the new data.")
    assert answer["version"] == fingerprint(now)  # the map was rebuilt from what is in the file now
    assert served.csv_path.read_bytes() == now


@pytest.mark.parametrize("lock", [".~lock.places.csv#", "~$places.csv"])
def test_an_edit_while_the_file_is_open_in_a_spreadsheet_is_refused(served, lock):
    before = served.csv_path.read_bytes()
    (served.csv_path.parent / lock).write_text("", "utf-8")
    status, answer = served.edit(**MOVE)
    assert status == 423 and answer["reason"] == "locked"
    assert answer["error"] == "places.csv is open in a spreadsheet; nothing was saved. Close it there, then save again."
    assert f"({lock} exists)" in answer["detail"]
    assert served.csv_path.read_bytes() == before


def test_an_edit_of_a_read_only_file_is_refused(served):
    before = served.csv_path.read_bytes()
    served.csv_path.chmod(0o444)
    status, answer = served.edit(**MOVE)
    assert status == 409 and answer["reason"] == "read-only"
    assert served.csv_path.read_bytes() == before


def test_a_city_asks_before_it_becomes_exact(tmp_path):
    served = start(tmp_path, CSV + "Almaty,43.25,76.95,city,curfew,2022-01-07,reported,Curfew,Test wire\n", lang="de")
    try:
        status, answer = served.edit(op="set_location", place="Almaty", lat=43.24, lon=76.9, precision="exact")
        assert status == 409 and answer["reason"] == "confirm"
        assert answer["error"] == "Almaty ist nur auf der Ebene „Stadt“ bekannt. Als genauen Ort speichern?"
        assert answer["problems"][0]["field"] == "precision"
        status, answer = served.edit(op="set_location", place="Almaty", lat=43.24, lon=76.9, precision="exact",
                                     confirm_exact=True)
        assert status == 200 and "Almaty,43.24000,76.90000,exact" in served.csv_path.read_text("utf-8")
        assert {"id": "city", "label": "Stadt"} in served.info()["choices"]["precision"]
    finally:
        served.live.close()


def test_three_edits_undone_give_back_the_original_bytes(served):
    original = served.csv_path.read_bytes()
    assert served.edit(**MOVE)[0] == 200
    assert served.edit(op="update_incident", line=2, cells={"status": "confirmed", "summary": "New words"})[0] == 200
    assert served.edit(op="delete_incident", line=4)[0] == 200
    assert served.info()["undo"] == 3
    for depth in (2, 1, 0):
        status, _, body = served.request("POST", "/__mapgen__/undo", {})
        assert status == 200 and json.loads(body)["undo"] == depth
    assert served.csv_path.read_bytes() == original
    status, _, body = served.request("POST", "/__mapgen__/undo", {})
    assert status == 409 and json.loads(body)["reason"] == "nothing"


def test_a_request_the_server_does_not_understand_is_a_bad_request(served):
    before = served.csv_path.read_bytes()
    for body in (b"not json", {"op": "drop_table", "version": "x"}, {"op": "set_location"},
                 {**MOVE, "version": fingerprint(before), "lat": True}):
        status, _, answer = served.request("POST", "/__mapgen__/edit", body,
                                           headers={"Content-Type": "application/json"})
        assert status == 400 and json.loads(answer)["reason"] == "bad-request", answer
    assert served.csv_path.read_bytes() == before


def test_the_row_of_an_incident_as_written(served):
    status, _, body = served.request("GET", "/__mapgen__/edit/row?line=3")
    answer = json.loads(body)
    assert status == 200 and answer["cells"]["summary"] == "Flights stopped" and answer["cells"]["lat"] == "43.3521"


def test_watch_help_tells_of_the_secret_link(mapgen_cli):
    result = mapgen_cli("watch", "--help")
    assert result.exit_code == 0 and "secret" in result.output
