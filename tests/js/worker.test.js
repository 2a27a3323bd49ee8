// The map's worker (filters and clusters) without a browser, with the pinned Supercluster from the
// asset cache (`mapgen assets fetch`, run by `make test`): `node --test tests/js/*.test.js`.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const vm = require("node:vm");
const core = require("../../mapgen/static/core.js");

const cache = process.env.MAPGEN_ASSET_CACHE || path.join(os.homedir(), ".cache", "mapgen", "npm");
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "../../mapgen/data/assets.json"), "utf8"));
const pinned = manifest.packages.find((p) => p.name === "supercluster");
const library = path.join(cache, `supercluster@${pinned.version}`, "dist", "supercluster.min.js");
const skip = fs.existsSync(library) ? false : `the pinned Supercluster is not in ${cache} (run mapgen assets fetch)`;

// A worker in a context of its own, as the page makes it from a Blob: Supercluster, core.js, worker.js.
function startWorker() {
  const answers = [];
  const context = { console, performance, postMessage: (answer) => answers.push(answer) };
  context.self = context; // a worker's global object
  vm.createContext(context);
  for (const file of [library, path.join(__dirname, "../../mapgen/static/core.js"),
                      path.join(__dirname, "../../mapgen/static/worker.js")]) {
    vm.runInContext(fs.readFileSync(file, "utf8"), context, { filename: file });
  }
  let seq = 0;
  return (msg) => {
    context.onmessage({ data: Object.assign({ seq: ++seq }, msg) });
    const answer = answers.pop();
    if (answer.error) throw new Error(answer.error);
    return answer;
  };
}

// n places on a grid of streets a few hundred metres apart, two incidents each: a protest, and
// gunfire at every third place.
function city(n) {
  const side = Math.ceil(Math.sqrt(n)), kinds = [], days = [], sources = [];
  const places = { name: [], aliases: [], lat: [], lon: [], panel: [], precision: [], start: [] };
  for (let p = 0; p < n; p++) {
    places.name.push(`Place ${p}`); places.aliases.push(""); places.panel.push(0); places.precision.push(0);
    places.lat.push(43.2 + Math.floor(p / side) * 0.003); places.lon.push(76.9 + (p % side) * 0.004);
    places.start.push(kinds.length);
    kinds.push((0 * 5 + 1) * 5 + 1); days.push(0); sources.push(0);
    if (p % 3 === 0) { kinds.push((1 * 5 + 1) * 5 + 1); days.push(1); sources.push(0); }
  }
  return {
    format: 2, taxonomy: [{ id: "protest", label: "Protest" }, { id: "gunfire", label: "Gunfire" }],
    statuses: ["confirmed", "reported", "unverified", "disputed", "candidate"],
    precisions: ["exact", "approximate", "city", "country"], date_precisions: ["", "day", "week", "month", "report"],
    tagsets: [[0], [1]], day0: 19000, places, incidents: { kind: kinds, day: days, source: sources }, sources: ["Wire"],
  };
}

function init(ask, data) {
  const m = new core.Model(data), P = data.places;
  ask({ type: "init", options: { radius: 60, maxZoom: 18, clusterBelow: 17 }, model: {
    nPlaces: m.nPlaces, nInc: m.nInc, place: m.place, mask: m.mask, status: m.status, day: m.day, source: m.source,
    onMap: m.onMap, minDay: m.minDay, maxDay: m.maxDay, lat: Float64Array.from(P.lat), lon: Float64Array.from(P.lon),
    data: { places: { name: P.name, aliases: P.aliases }, taxonomy: data.taxonomy, sources: data.sources,
            statuses: data.statuses, date_precisions: data.date_precisions },
  } });
  return m;
}

// What a view shows: its places on their own, and its clusters with how many places each holds.
function view(ask, zoom, bbox = [76, 43, 78, 44]) {
  const items = ask({ type: "view", bbox, zoom }).items, places = [], clusters = [];
  for (let k = 0; k < items.length; k += 5) {
    if (items[k + 2] >= 0) places.push(items[k + 2]); else clusters.push(items[k + 4]);
  }
  return { places: places.sort((a, b) => a - b), clusters: clusters.sort((a, b) => a - b) };
}

test("a view holds every place that passes the filters, once, and a filter undone shows the same", { skip }, () => {
  const ask = startWorker(), data = city(900), m = init(ask, data);
  const all = core.defaultFilters(m);
  const total = (v) => v.places.length + v.clusters.reduce((a, b) => a + b, 0);
  ask({ type: "filter", filters: all });
  const first = view(ask, 13);
  assert.equal(total(first), 900);
  ask({ type: "filter", filters: Object.assign({}, all, { tags: 2 }) }); // gunfire only: every third place
  assert.equal(total(view(ask, 13)), 300);
  assert.deepEqual(view(ask, 16).places.filter((p) => p % 3 !== 0), []);
  ask({ type: "filter", filters: Object.assign({}, all, { from: all.to }) }); // the second day: the same 300
  assert.equal(total(view(ask, 13)), 300);
  ask({ type: "filter", filters: all });
  assert.deepEqual(view(ask, 13), first);
});

test("reveal gives a zoom at which the place is drawn on its own", { skip }, () => {
  const ask = startWorker(), data = city(900), m = init(ask, data);
  ask({ type: "filter", filters: core.defaultFilters(m) });
  for (const p of [0, 17, 450, 899]) {
    const { zoom } = ask({ type: "reveal", place: p, zoom: 10 });
    assert.ok(zoom > 10 && zoom < 17, `zoom ${zoom}`); // in a cluster at 10, and alone before every place is
    const d = 1e-6, lon = data.places.lon[p], lat = data.places.lat[p];
    assert.deepEqual(view(ask, zoom, [lon - d, lat - d, lon + d, lat + d]).places, [p], `place ${p} at zoom ${zoom}`);
  }
  // two places on one spot are never apart while clustering: the zoom at which every place is drawn
  const twins = city(4);
  twins.places.lat[1] = twins.places.lat[0]; twins.places.lon[1] = twins.places.lon[0];
  const other = startWorker(), t = init(other, twins);
  other({ type: "filter", filters: core.defaultFilters(t) });
  assert.equal(other({ type: "reveal", place: 0, zoom: 10 }).zoom, 17);
});
