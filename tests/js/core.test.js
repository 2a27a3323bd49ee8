// The map's data logic without a browser: `node --test tests/js/*.test.js` (part of `make test`).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const core = require("../../mapgen/static/core.js");

// Page data format 2 (docs/page-data.md) of three places and five incidents.
// Statuses: confirmed, reported, unverified, disputed, candidate; date precisions: "", day, week, month, report.
function code(tagset, status, dp) { return (tagset * 5 + status) * 5 + dp; }
const DATA = {
  format: 2,
  taxonomy: [
    { id: "gunfire", label: "Gunfire", severity: 9 }, { id: "arson", label: "Arson", severity: 7 },
    { id: "protest", label: "Protest", severity: 3 },
  ],
  statuses: ["confirmed", "reported", "unverified", "disputed", "candidate"],
  precisions: ["exact", "approximate", "city", "country"],
  date_precisions: ["", "day", "week", "month", "report"],
  tagsets: [[0], [1, 2], [], [2]],
  day0: 18999, // 2022-01-07
  places: {
    name: ["Airport", "Akimat", "Kazakhstan"], aliases: ["Flughafen", "Bürgermeisteramt; Әкімдік", ""],
    lat: [43.35, 43.24, 48.0], lon: [77.04, 76.95, 67.0], panel: [0, 0, 1], precision: [0, 0, 3],
    start: [0, 2, 4],
  },
  incidents: {
    kind: [code(0, 1, 1), code(3, 2, 4), code(1, 0, 1), code(2, 4, 0), code(0, 1, 2)],
    day: [0, 1, 1, -1, 1],
    source: [0, 1, 0, 1, 0],
  },
  sources: ["DW", "Wire"],
};

function model() { return new core.Model(DATA); }

test("text and dates", () => {
  assert.equal(core.fmt("{n} of {all}", { n: 3, all: 5 }), "3 of 5");
  assert.equal(core.fmt("{missing}", {}), "{missing}");
  assert.equal(core.fold("Bürgermeisteramt"), "burgermeisteramt");
  assert.equal(core.safeUrl("javascript:alert(1)"), null);
  assert.equal(core.safeUrl("https://dw.com/x"), "https://dw.com/x");
  assert.equal(core.dayToIso(18999), "2022-01-07");
  assert.equal(core.isoToDay("2022-01-07"), 18999);
  assert.equal(core.isoToDay("2022-02-30"), null); // not a real day
  assert.equal(core.isoToDay("yesterday"), null);
});

test("the model reads the packed codes back", () => {
  const m = model();
  assert.equal(m.nPlaces, 3);
  assert.equal(m.nInc, 5);
  assert.deepEqual([...m.place], [0, 0, 1, 1, 2]);
  assert.deepEqual(m.tags(2), [1, 2]);
  assert.deepEqual(m.tags(3), []); // no type: context
  assert.deepEqual([...m.status], [1, 2, 0, 4, 1]);
  assert.deepEqual([...m.dp], [1, 4, 1, 0, 2]);
  assert.deepEqual([...m.day], [18999, 19000, 19000, -1, 19000]);
  assert.equal(m.minDay, 18999);
  assert.equal(m.maxDay, 19000);
  assert.deepEqual([...m.onMap], [1, 1, 0]); // Kazakhstan goes beside the map
  assert.equal(m.count(1), 2);
});

test("filters: type, status and dates; undated incidents always pass the dates", () => {
  const m = model(), f = core.defaultFilters(m);
  let result = core.filterCounts(m, f);
  assert.deepEqual([...result.counts], [2, 2, 1]);
  assert.deepEqual([result.incidents, result.places, result.onMap, result.mapped], [5, 3, 2, 2]);

  f.tags = 1 << 0; // gunfire only
  result = core.filterCounts(m, f);
  assert.deepEqual([...result.counts], [1, 0, 1]);

  f.tags = (1 << core.CONTEXT_BIT) >>> 0; // rows with no type
  assert.deepEqual([...core.filterCounts(m, f).counts], [0, 1, 0]);

  const days = core.defaultFilters(m);
  days.from = days.to = 18999;
  assert.deepEqual([...core.filterCounts(m, days).counts], [1, 1, 0]); // the undated row stays

  const status = core.defaultFilters(m);
  status.status = 1 << 1; // reported
  assert.deepEqual([...core.filterCounts(m, status).counts], [1, 0, 1]);
  assert.ok(core.passes(m, status, 0) && !core.passes(m, status, 1));
});

test("only the types and statuses in the data are offered, with their counts", () => {
  const m = model();
  assert.deepEqual(core.typeChoices(m, "Context").map((c) => [c.id, c.count]),
                   [["gunfire", 2], ["arson", 1], ["protest", 2], ["context", 1]]);
  assert.deepEqual(core.statusChoices(m).map((c) => [c.id, c.count]),
                   [["confirmed", 1], ["reported", 2], ["unverified", 1], ["candidate", 1]]);
});

test("the permalink: filters at their default are left out; what is read back is what was written", () => {
  const m = model(), f = core.defaultFilters(m);
  assert.equal(core.formatHash(m, { filters: f, place: -1, view: { zoom: 12, lat: 43.25, lon: 76.95 } }),
               "#map=12/43.25000/76.95000");
  f.tags = (1 << 0) | (1 << 1);
  f.status = 1 << 2;
  f.from = f.to = 19000;
  const hash = core.formatHash(m, { filters: f, place: 1, view: { zoom: 15, lat: 43.2376, lon: 76.9456 } });
  assert.equal(hash, "#map=15/43.23760/76.94560&types=gunfire,arson&status=unverified&dates=2022-01-08,2022-01-08&place=Akimat");
  const back = core.parseHash(m, hash, 18);
  assert.deepEqual(core.filterCounts(m, back.filters), core.filterCounts(m, f)); // the same incidents pass
  assert.equal(core.formatHash(m, back), hash);
  assert.deepEqual(back.view, { zoom: 15, lat: 43.2376, lon: 76.9456 });
  assert.equal(back.place, 1);
});

test("a malformed permalink is ignored piece by piece", () => {
  const m = model(), d = core.defaultFilters(m);
  const state = core.parseHash(m, "#map=99/200/0&types=%E0%A4%A&dates=2022-01-09,2022-01-01&place=Nowhere", 18);
  assert.equal(state.view, null); // latitude 200 is not on Earth
  assert.deepEqual(state.filters.tags & ~((1 << core.CONTEXT_BIT) >>> 0), 0); // a bad escape names no type
  assert.equal(state.filters.from, d.from); // a window that ends before it starts
  assert.equal(state.place, -1);
  assert.equal(core.parseHash(m, "#map=25/10/10", 18).view.zoom, 18); // no closer than the map goes
});

test("search finds names and other names, without accents, and says which alias matched", () => {
  const m = model(), index = core.searchIndex(m);
  assert.deepEqual(core.search(m, index, "burgermeister"), [{ place: 1, alias: "Bürgermeisteramt" }]);
  assert.deepEqual(core.search(m, index, "AIR"), [{ place: 0, alias: null }]);
  assert.deepEqual(core.search(m, index, "әкімдік"), [{ place: 1, alias: "Әкімдік" }]);
  assert.deepEqual(core.search(m, index, "  "), []);
  assert.deepEqual(core.search(m, index, "atlantis"), []);
});

test("the list: the incidents passing the filters, sorted by a column, then by date and place", () => {
  const m = model(), f = core.defaultFilters(m);
  assert.deepEqual(core.listRows(m, f, "date", false), [0, 1, 2, 4, 3]); // undated last
  assert.deepEqual(core.listRows(m, f, "date", true), [3, 1, 2, 4, 0]);
  assert.deepEqual(core.listRows(m, f, "place", false), [0, 1, 2, 3, 4]); // Airport, Akimat, Kazakhstan
  assert.deepEqual(core.listRows(m, f, "source", false), [0, 2, 4, 1, 3]); // DW, then Wire
  assert.deepEqual(core.listRows(m, f, "status", false), [2, 0, 4, 1, 3]);
  f.tags = 1 << 2; // protest
  assert.deepEqual(core.listRows(m, f, "date", false), [1, 2]);
});

test("histogram and the days to play", () => {
  const m = model();
  assert.deepEqual(core.histogram(m, 120), [
    { exact: 1, vague: 0, first: 18999, last: 18999 },
    { exact: 1, vague: 2, first: 19000, last: 19000 },
  ]);
  assert.deepEqual(core.playDays(m), [18999, 19000]);
});

function overlaps(a, b) { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1; }

test("markers on one spot are set around it, none covering another", () => {
  const size = 30, spots = [];
  for (let k = 0; k < 9; k++) spots.push({ x: 100, y: 100 }); // nine places on the city centre
  spots.push({ x: 400, y: 100 }); // and one alone
  const at = core.spread(spots, size, spots.map((_, k) => k));
  assert.deepEqual(at[9], { x: 400, y: 100 }); // alone: stays on its spot
  for (let a = 0; a < 9; a++) {
    for (let b = a + 1; b < 9; b++) {
      assert.ok(Math.hypot(at[a].x - at[b].x, at[a].y - at[b].y) >= size, `${a} and ${b} overlap`);
    }
  }
  assert.ok(at[8].y < 100 && Math.abs(at[8].x - 100) < 1e-9); // the most important one at the top
  assert.deepEqual(core.overlapping([{ x: 0, y: 0 }, { x: 20, y: 0 }, { x: 90, y: 0 }], 30), [[0, 1], [2]]);
});

test("names go where they overlap no name, marker or panel; the most important first", () => {
  const item = (x, y, priority, widths) => ({ x: x, y: y, r: 16, h: 18, priority: priority, widths: widths });
  const items = [item(100, 100, 1, [120]), item(100, 140, 5, [120]), item(160, 120, 1, [300, 60])];
  const panel = { x0: 0, y0: 0, x1: 60, y1: 400 };
  const placed = core.placeLabels(items, { x0: 0, y0: 0, x1: 600, y1: 400 }, 6, [panel]);
  const boxes = placed.filter(Boolean).map((p) => p.box);
  assert.equal(boxes.length, 3);
  for (let a = 0; a < boxes.length; a++) {
    assert.ok(!overlaps(boxes[a], panel));
    for (let b = a + 1; b < boxes.length; b++) assert.ok(!overlaps(boxes[a], boxes[b]));
    for (const it of items) {
      assert.ok(!overlaps(boxes[a], { x0: it.x - it.r, y0: it.y - it.r, x1: it.x + it.r, y1: it.y + it.r }));
    }
  }
  assert.equal(placed[1].side, "right"); // the important one gets the first choice
  // with no room at all, a name is left out rather than drawn over another
  const crowded = core.placeLabels([item(10, 10, 1, [500])], { x0: 0, y0: 0, x1: 100, y1: 100 }, 6, []);
  assert.deepEqual(crowded, [null]);
});

test("shorter forms of a name: without its city, then cut at a word", () => {
  assert.deepEqual(core.nameForms("Almaty"), ["Almaty"]);
  assert.deepEqual(core.nameForms("Presidential residence, Almaty"),
                   ["Presidential residence, Almaty", "Presidential residence", "Presidential…"]);
  assert.deepEqual(core.nameForms("Bakery near the presidential residence"),
                   ["Bakery near the presidential residence", "Bakery near the…"]);
});

test("coordinates pasted as a pair or a map link", () => {
  const at = { lat: 43.2347, lon: 76.9478 };
  for (const text of ["43.2347, 76.9478", "43.2347 76.9478", " 43.2347;76.9478 ", "43,2347; 76,9478",
                      "https://www.openstreetmap.org/#map=17/43.2347/76.9478",
                      "https://www.openstreetmap.org/?mlat=43.2347&mlon=76.9478#map=17/43.2/76.9",
                      "https://www.google.com/maps/@43.2347,76.9478,17z",
                      "https://www.google.com/maps/place/Akimat/@43.2347,76.9478,15z/data=!3m1",
                      "https://maps.google.com/?q=43.2347,76.9478"]) {
    assert.deepEqual(core.parseCoordinates(text), at, text);
  }
  assert.deepEqual(core.parseCoordinates("-33.86, 151.21"), { lat: -33.86, lon: 151.21 });
  for (const text of ["43.2347", "76.9478, 200", "Almaty", "", "95, 10"]) assert.equal(core.parseCoordinates(text), null, text);
});
