/* mapgen worker: filters and clustering off the page's main thread.
 *
 * Runs after Supercluster (the pinned npm file) and core.js in one Blob,
 * so it works from file:// as well as from a web server. It keeps the
 * incidents' columns, counts what passes the filters, and answers each view
 * (bounding box and zoom) with the clusters and places in it; Supercluster
 * indexes the places that pass the filters, one zoom level at a time, when
 * that level is first asked for. The indexes of the last few sets of places
 * are kept: a filter that leaves the same places (a narrower date window,
 * most often) or one undone reuses them.
 *
 * Messages in:  init, filter, view, expand, rows, search (each with `seq`).
 * Messages out: the same `type` with `seq` and the answer.
 */
/* global Supercluster, mapgenCore */
(function () {
  "use strict";

  var core = mapgenCore;
  var model = null;      // the columns core.filterCounts needs, and names for search
  var options = null;    // {radius, clusterBelow, maxZoom}
  var filters = null;
  var counts = null;     // incidents passing the filters, per place
  var points = null;     // a GeoJSON point per place on the map (made once)
  var state = null;      // {shown: Uint8Array per place, indexes: zoom -> Supercluster} of the filters
  var kept = [];         // the states met last, newest first
  var KEEP = 4;
  var searchable = null;

  var handlers = {
    init: function (msg) {
      model = msg.model;
      options = msg.options;
      searchable = core.searchIndex(model);
      points = [];
      for (var p = 0; p < model.nPlaces; p++) {
        points.push(model.onMap[p] ? { type: "Feature", properties: { p: p },
          geometry: { type: "Point", coordinates: [model.lon[p], model.lat[p]] } } : null);
      }
      return { ok: true };
    },

    filter: function (msg) {
      filters = msg.filters;
      var result = core.filterCounts(model, filters);
      counts = result.counts;
      state = stateOf(counts);
      return { counts: counts.slice(), incidents: result.incidents, places: result.places,
               onMap: result.onMap, mapped: result.mapped };
    },

    // Clusters and places in a bounding box: [lon, lat, place or -1, cluster id or -1, places in it] per item.
    view: function (msg) {
      var zoom = Math.max(0, Math.min(options.maxZoom, Math.floor(msg.zoom)));
      var items = [];
      if (zoom >= options.clusterBelow) { // close enough: every place is its own marker
        var b = msg.bbox;
        for (var p = 0; p < model.nPlaces; p++) {
          if (!counts[p] || !model.onMap[p]) continue;
          var lon = model.lon[p], lat = model.lat[p];
          if (lat >= b[1] && lat <= b[3] && inLon(lon, b[0], b[2])) items.push(lon, lat, p, -1, 1);
        }
      } else {
        index(zoom).getClusters(msg.bbox, zoom).forEach(function (f) {
          var c = f.geometry.coordinates, pr = f.properties;
          if (pr.cluster) items.push(c[0], c[1], -1, pr.cluster_id, pr.point_count);
          else items.push(c[0], c[1], pr.p, -1, 1);
        });
      }
      var out = Float64Array.from(items);
      return { items: out, zoom: zoom, transfer: [out.buffer] };
    },

    // The bounding box of a cluster's places, to zoom into.
    expand: function (msg) {
      var leaves = index(msg.zoom).getLeaves(msg.cluster, Infinity);
      var box = [Infinity, Infinity, -Infinity, -Infinity];
      leaves.forEach(function (f) {
        var c = f.geometry.coordinates;
        box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
      });
      return { bbox: box };
    },

    // The first zoom from msg.zoom on at which a place is drawn on its own, not inside a cluster.
    // Tried from the zoom at which its nearest neighbour is a cluster's radius away: below it the
    // two would be one cluster, and every zoom tried costs an index of every place.
    reveal: function (msg) {
      var p = msg.place, lon = model.lon[p], lat = model.lat[p], d = 1e-6;
      var last = Math.min(options.clusterBelow - 1, options.maxZoom);
      for (var z = Math.max(0, msg.zoom, apart(p)); z <= last; z++) {
        var alone = index(z).getClusters([lon - d, lat - d, lon + d, lat + d], z).some(function (f) {
          return !f.properties.cluster && f.properties.p === p;
        });
        if (alone) return { zoom: z };
      }
      return { zoom: Math.min(Math.max(msg.zoom, options.clusterBelow), options.maxZoom) };
    },

    rows: function (msg) {
      var rows = Int32Array.from(core.listRows(model, msg.filters, msg.key, msg.descending));
      return { rows: rows, transfer: [rows.buffer] };
    },

    search: function (msg) {
      return { hits: core.search(model, searchable, msg.text, msg.limit) };
    },
  };

  function inLon(lon, west, east) {
    return west <= east ? lon >= west && lon <= east : lon >= west || lon <= east;
  }

  // The state of these counts: the one kept for the same places, or a new one.
  function stateOf(counts) {
    var shown = new Uint8Array(model.nPlaces);
    for (var p = 0; p < model.nPlaces; p++) shown[p] = counts[p] > 0 && model.onMap[p] ? 1 : 0;
    for (var k = 0; k < kept.length; k++) {
      if (same(kept[k].shown, shown)) {
        var found = kept.splice(k, 1)[0];
        kept.unshift(found);
        return found;
      }
    }
    kept.unshift({ shown: shown, indexes: {} });
    kept.length = Math.min(kept.length, KEEP);
    return kept[0];
  }

  function same(a, b) {
    for (var p = 0; p < a.length; p++) if (a[p] !== b[p]) return false;
    return true;
  }

  function index(zoom) {
    if (!state.indexes[zoom]) {
      var shown = state.shown, picked = [];
      for (var p = 0; p < model.nPlaces; p++) if (shown[p]) picked.push(points[p]);
      state.indexes[zoom] = new Supercluster({ radius: options.radius, minZoom: zoom, maxZoom: zoom }).load(picked);
    }
    return state.indexes[zoom];
  }

  // Web Mercator, 0..1 across the world (as Supercluster projects).
  function mercX(lon) { return lon / 360 + 0.5; }
  function mercY(lat) {
    var sin = Math.sin(lat * Math.PI / 180), y = 0.5 - 0.25 * Math.log((1 + sin) / (1 - sin)) / Math.PI;
    return y < 0 ? 0 : y > 1 ? 1 : y;
  }

  // The lowest zoom at which place p's nearest shown neighbour is farther than a cluster's radius.
  function apart(p) {
    var x = mercX(model.lon[p]), y = mercY(model.lat[p]), nearest = Infinity, shown = state.shown;
    for (var q = 0; q < model.nPlaces; q++) {
      if (!shown[q] || q === p) continue;
      var dx = mercX(model.lon[q]) - x, dy = mercY(model.lat[q]) - y, d = dx * dx + dy * dy;
      if (d < nearest) nearest = d;
    }
    if (nearest === 0) return Infinity; // on the same spot: never alone while clustered
    if (nearest === Infinity) return 0;
    // Supercluster's radius at zoom z is radius / (512 * 2^z) of the world
    return Math.max(0, Math.ceil(Math.log2(options.radius / (512 * Math.sqrt(nearest)))));
  }

  self.onmessage = function (event) {
    var msg = event.data, answer;
    try {
      answer = handlers[msg.type](msg);
    } catch (error) {
      answer = { error: String(error && error.stack || error) };
    }
    var transfer = answer.transfer || [];
    delete answer.transfer;
    answer.type = msg.type;
    answer.seq = msg.seq;
    self.postMessage(answer, transfer);
  };
})();
