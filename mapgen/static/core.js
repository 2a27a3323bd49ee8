/* mapgen core: everything about the data that needs no map and no page.
 *
 * The page data (format 2, see docs/page-data.md) becomes a Model of typed
 * arrays; filters, counts, the permalink, dates, search, the list's order,
 * the histogram, the days to play, and where markers and their labels go
 * when they would overlap are plain functions of it. The page's scripts, the
 * clustering worker and Node's test runner (`node --test tests/js/*.test.js`) all load
 * this file; it touches neither Leaflet nor the DOM.
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.mapgenCore = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var CONTEXT_BIT = 31; // incidents with no type ("context") carry this bit
  var CONTEXT_ID = "context"; // its name in the permalink
  var DAY_MS = 86400000;

  /* ---------- text and dates ---------- */

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? String(values[key]) : "{" + key + "}";
    });
  }

  // lower case, accents removed: "Bürgermeisteramt" matches "burgermeister"
  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function safeUrl(url) {
    return /^https?:\/\//i.test(url || "") ? url : null;
  }

  function dayToIso(day) {
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }

  function isoToDay(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return null;
    var t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return dayToIso(t / DAY_MS) === iso ? t / DAY_MS : null;
  }

  /* ---------- the model ---------- */

  // Typed arrays of the page data. Incidents are grouped by place: those of
  // place p are start[p] .. start[p + 1] - 1, in the order of the CSV.
  function Model(data) {
    var P = data.places, I = data.incidents;
    var nStatus = data.statuses.length, nDp = data.date_precisions.length;
    this.data = data;
    this.nPlaces = P.name.length;
    this.nInc = I.kind.length;
    this.start = Int32Array.from(P.start.concat([this.nInc]));
    this.tagMasks = data.tagsets.map(function (set) {
      var mask = 0;
      for (var j = 0; j < set.length; j++) mask |= 1 << set[j];
      return (mask || (1 << CONTEXT_BIT)) >>> 0;
    });
    var n = this.nInc;
    this.place = new Int32Array(n);
    this.mask = new Uint32Array(n);
    this.status = new Uint8Array(n);
    this.dp = new Uint8Array(n);
    this.day = new Int32Array(n);
    this.source = Int32Array.from(I.source);
    var minDay = Infinity, maxDay = -Infinity, i, p;
    for (p = 0; p < this.nPlaces; p++) for (i = this.start[p]; i < this.start[p + 1]; i++) this.place[i] = p;
    for (i = 0; i < n; i++) {
      var code = I.kind[i];
      this.dp[i] = code % nDp;
      this.status[i] = Math.floor(code / nDp) % nStatus;
      this.mask[i] = this.tagMasks[Math.floor(code / nDp / nStatus)];
      var day = I.day[i] < 0 ? -1 : I.day[i] + data.day0;
      this.day[i] = day;
      if (day >= 0) { if (day < minDay) minDay = day; if (day > maxDay) maxDay = day; }
    }
    this.minDay = minDay === Infinity ? 0 : minDay;
    this.maxDay = maxDay === -Infinity ? 0 : maxDay;
    this.located = new Uint8Array(this.nPlaces);
    this.onMap = new Uint8Array(this.nPlaces); // located and not in the side panel
    for (p = 0; p < this.nPlaces; p++) {
      this.located[p] = P.lat[p] === null || P.lon[p] === null ? 0 : 1;
      this.onMap[p] = this.located[p] && !P.panel[p] ? 1 : 0;
    }
  }

  Model.prototype.count = function (p) { return this.start[p + 1] - this.start[p]; };

  // The types of incident i as indices into the taxonomy (none: a context row).
  Model.prototype.tags = function (i) {
    var out = [], mask = this.mask[i];
    for (var k = 0; k < this.data.taxonomy.length; k++) if ((mask >>> k) & 1) out.push(k);
    return out;
  };

  /* ---------- filters ---------- */

  function defaultFilters(model) {
    var tags = 1 << CONTEXT_BIT;
    for (var k = 0; k < model.data.taxonomy.length; k++) tags |= 1 << k;
    return { tags: tags >>> 0, status: (1 << model.data.statuses.length) - 1, from: model.minDay, to: model.maxDay };
  }

  function passes(model, f, i) {
    var day = model.day[i];
    return (model.mask[i] & f.tags) !== 0 && ((f.status >>> model.status[i]) & 1) === 1 &&
      (day < 0 || (day >= f.from && day <= f.to));
  }

  // For each place, how many of its incidents pass the filters; and the totals.
  function filterCounts(model, f) {
    var counts = new Uint32Array(model.nPlaces), shown = 0;
    var mask = model.mask, status = model.status, day = model.day, place = model.place;
    var tags = f.tags, st = f.status, from = f.from, to = f.to;
    for (var i = 0; i < model.nInc; i++) {
      var d = day[i];
      if ((mask[i] & tags) !== 0 && ((st >>> status[i]) & 1) === 1 && (d < 0 || (d >= from && d <= to))) {
        counts[place[i]]++;
        shown++;
      }
    }
    var places = 0, mapped = 0, onMap = 0;
    for (var p = 0; p < model.nPlaces; p++) {
      if (model.onMap[p]) { mapped++; if (counts[p]) onMap++; }
      if (counts[p]) places++;
    }
    return { counts: counts, incidents: shown, places: places, onMap: onMap, mapped: mapped };
  }

  function sameFilters(a, b) {
    return a.tags === b.tags && a.status === b.status && a.from === b.from && a.to === b.to;
  }

  // Types (and statuses) that occur in the data, with their counts: only these get a checkbox.
  function typeChoices(model, contextLabel) {
    var tax = model.data.taxonomy, counted = choiceCounts(model), out = [];
    tax.forEach(function (tag, k) {
      if (counted.types[k]) out.push({ id: tag.id, bit: k, label: tag.label, count: counted.types[k], tag: tag });
    });
    if (counted.context) {
      out.push({ id: CONTEXT_ID, bit: CONTEXT_BIT, label: contextLabel || CONTEXT_ID, count: counted.context, tag: null });
    }
    return out;
  }

  function statusChoices(model, labels) {
    var counts = choiceCounts(model).statuses, out = [];
    model.data.statuses.forEach(function (name, s) {
      if (counts[s]) out.push({ id: name, bit: s, label: (labels && labels["status_" + name]) || name, count: counts[s], tag: null });
    });
    return out;
  }

  // Incidents per type, per status and with no type: counted once per model (the permalink
  // asks after every filter, and a million incidents take a while).
  function choiceCounts(model) {
    if (model.choiceCounts) return model.choiceCounts;
    var tax = model.data.taxonomy, types = new Array(tax.length).fill(0), context = 0;
    var statuses = new Array(model.data.statuses.length).fill(0), contextMask = (1 << CONTEXT_BIT) >>> 0;
    for (var i = 0; i < model.nInc; i++) {
      var m = model.mask[i];
      statuses[model.status[i]]++;
      if (m === contextMask) { context++; continue; }
      for (var k = 0; k < tax.length; k++) if ((m >>> k) & 1) types[k]++;
    }
    model.choiceCounts = { types: types, context: context, statuses: statuses };
    return model.choiceCounts;
  }

  /* ---------- permalink ---------- */

  // #map=zoom/lat/lon&types=gunfire,arson&status=reported&dates=2022-01-07,2022-01-08&place=Name
  // Filters at their default are left out, so a plain view gives a short link.
  function formatHash(model, state) {
    var f = state.filters, d = defaultFilters(model), parts = [];
    if (state.view) parts.push("map=" + state.view.zoom + "/" + state.view.lat.toFixed(5) + "/" + state.view.lon.toFixed(5));
    var types = typeChoices(model), statuses = statusChoices(model);
    function on(choices, mask) { return choices.filter(function (c) { return (mask >>> c.bit) & 1; }); }
    function ids(choices) { return choices.map(function (c) { return encodeURIComponent(c.id); }).join(","); }
    if (on(types, f.tags).length !== types.length) parts.push("types=" + ids(on(types, f.tags)));
    if (on(statuses, f.status).length !== statuses.length) parts.push("status=" + ids(on(statuses, f.status)));
    if (f.from !== d.from || f.to !== d.to) parts.push("dates=" + dayToIso(f.from) + "," + dayToIso(f.to));
    if (state.place >= 0) parts.push("place=" + encodeURIComponent(model.data.places.name[state.place]));
    return "#" + parts.join("&");
  }

  function decode(text) {
    try { return decodeURIComponent(text); } catch (e) { return null; }
  }

  // Filters, view and open place from a URL hash; anything malformed is ignored.
  function parseHash(model, hash, maxZoom) {
    var params = {}, f = defaultFilters(model);
    String(hash || "").replace(/^#/, "").split("&").forEach(function (kv) {
      var at = kv.indexOf("=");
      if (at > 0) params[kv.slice(0, at)] = kv.slice(at + 1);
    });
    function mask(choices, text, all) {
      var wanted = text.split(",").map(decode), out = all;
      choices.forEach(function (c) { out = (out & ~(1 << c.bit)) >>> 0; });
      choices.forEach(function (c) { if (wanted.indexOf(c.id) >= 0) out = (out | (1 << c.bit)) >>> 0; });
      return out;
    }
    if (typeof params.types === "string") f.tags = mask(typeChoices(model), params.types, f.tags);
    if (typeof params.status === "string") f.status = mask(statusChoices(model), params.status, f.status);
    var dates = /^(\d{4}-\d{2}-\d{2}),(\d{4}-\d{2}-\d{2})$/.exec(params.dates || "");
    if (dates) {
      var a = isoToDay(dates[1]), b = isoToDay(dates[2]);
      if (a !== null && b !== null && a <= b) {
        f.from = Math.max(model.minDay, Math.min(a, model.maxDay));
        f.to = Math.min(model.maxDay, Math.max(b, f.from));
      }
    }
    var view = /^(\d{1,2})\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/.exec(params.map || "");
    var lat = view ? Number(view[2]) : NaN, lon = view ? Number(view[3]) : NaN;
    var name = params.place ? decode(params.place) : null;
    return {
      filters: f,
      view: view && Math.abs(lat) <= 90 && Math.abs(lon) <= 180
        ? { zoom: Math.min(maxZoom === undefined ? 18 : maxZoom, Number(view[1])), lat: lat, lon: lon } : null,
      place: name === null ? -1 : model.data.places.name.indexOf(name),
    };
  }

  /* ---------- search ---------- */

  function searchIndex(model) {
    var P = model.data.places;
    return P.name.map(function (name, p) { return fold(name + "\n" + (P.aliases[p] || "")); });
  }

  // Places whose name or other name contains the text (any case, no accents), with the alias that matched.
  function search(model, index, text, limit) {
    var q = fold(String(text).trim()), hits = [], P = model.data.places;
    if (!q) return hits;
    for (var p = 0; p < index.length && hits.length < (limit || 20); p++) {
      if (index[p].indexOf(q) < 0) continue;
      var alias = fold(P.name[p]).indexOf(q) >= 0 ? null
        : (P.aliases[p] || "").split("; ").filter(function (a) { return fold(a).indexOf(q) >= 0; })[0] || null;
      hits.push({ place: p, alias: alias });
    }
    return hits;
  }

  /* ---------- the list of incidents ---------- */

  var SORT_KEYS = ["place", "types", "date", "status", "source"];

  // The incidents that pass the filters, ordered by a column (then by date and place).
  function listRows(model, f, key, descending) {
    var rows = [], i;
    for (i = 0; i < model.nInc; i++) if (passes(model, f, i)) rows.push(i);
    var names = model.data.places.name, sources = model.data.sources, labels = model.data.taxonomy;
    var statusOrder = model.status;
    var rank = {
      place: rankOf(names),
      source: rankOf(sources),
    };
    function typeKey(i) {
      var m = model.mask[i];
      for (var k = 0; k < labels.length; k++) if ((m >>> k) & 1) return k;
      return labels.length;
    }
    var get = {
      place: function (i) { return rank.place[model.place[i]]; },
      types: typeKey,
      date: function (i) { return model.day[i] < 0 ? Infinity : model.day[i]; },
      status: function (i) { return statusOrder[i]; },
      source: function (i) { return rank.source[model.source[i]] === undefined ? -1 : rank.source[model.source[i]]; },
    }[key] || function (i) { return i; };
    var sign = descending ? -1 : 1;
    rows.sort(function (a, b) {
      var x = get(a), y = get(b);
      if (x !== y) return x < y ? -sign : sign;
      var da = model.day[a] < 0 ? Infinity : model.day[a], db = model.day[b] < 0 ? Infinity : model.day[b];
      if (da !== db) return da < db ? -1 : 1;
      return a - b; // the place, then the file's order
    });
    return rows;
  }

  // The rank of each string in alphabetical order (numbers compared as numbers).
  function rankOf(list) {
    var order = list.map(function (_, k) { return k; });
    var collator = typeof Intl !== "undefined" ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;
    order.sort(function (a, b) { return collator ? collator.compare(list[a], list[b]) : (list[a] < list[b] ? -1 : 1); });
    var rank = new Int32Array(list.length);
    order.forEach(function (k, r) { rank[k] = r; });
    return rank;
  }

  /* ---------- time ---------- */

  // Incidents per bin of days: dark where the day is known, light where only the report date, week or month.
  function histogram(model, maxBins) {
    var span = model.maxDay - model.minDay + 1, bins = Math.min(span, maxBins || 120);
    var exact = new Array(bins).fill(0), vague = new Array(bins).fill(0), dps = model.data.date_precisions;
    for (var i = 0; i < model.nInc; i++) {
      if (model.day[i] < 0) continue;
      var b = Math.floor((model.day[i] - model.minDay) * bins / span);
      if (dps[model.dp[i]] === "day") exact[b]++; else vague[b]++;
    }
    var out = [];
    for (b = 0; b < bins; b++) {
      out.push({ exact: exact[b], vague: vague[b], first: model.minDay + Math.ceil(b * span / bins),
                 last: model.minDay + Math.ceil((b + 1) * span / bins) - 1 });
    }
    return out;
  }

  // The date windows "Play" steps through: one day at a time, from the first day to the last.
  function playDays(model) {
    var days = [];
    for (var d = model.minDay; d <= model.maxDay; d++) days.push(d);
    return days;
  }

  /* ---------- markers that would overlap ---------- */

  // Groups of points closer than `size` pixels (points: [{x, y}]); each group a list of indices.
  function overlapping(points, size) {
    var parent = points.map(function (_, k) { return k; });
    function find(k) { while (parent[k] !== k) { parent[k] = parent[parent[k]]; k = parent[k]; } return k; }
    var order = points.map(function (_, k) { return k; }).sort(function (a, b) { return points[a].x - points[b].x; });
    for (var a = 0; a < order.length; a++) {
      for (var b = a + 1; b < order.length && points[order[b]].x - points[order[a]].x < size; b++) {
        var pa = points[order[a]], pb = points[order[b]];
        if (Math.abs(pa.y - pb.y) < size) parent[find(order[a])] = find(order[b]);
      }
    }
    var groups = {};
    points.forEach(function (_, k) { (groups[find(k)] = groups[find(k)] || []).push(k); });
    return Object.keys(groups).map(function (r) { return groups[r]; });
  }

  // Where each point's marker is drawn so that none overlaps another: a point
  // alone stays on its spot; the points of an overlapping group are set on a
  // ring (then rings) around the group's centre, a leader line back to the
  // spot. `priority` orders a group (most important at the top). Returns [{x, y}].
  function spread(points, size, priority) {
    var out = points.map(function (pt) { return { x: pt.x, y: pt.y }; });
    overlapping(points, size).forEach(function (group) {
      if (group.length < 2) return;
      group.sort(function (a, b) { return (priority ? priority[b] - priority[a] : 0) || a - b; });
      var cx = 0, cy = 0;
      group.forEach(function (k) { cx += points[k].x; cy += points[k].y; });
      cx /= group.length; cy /= group.length;
      // rings of markers around the centre, with room between neighbours for the leader lines
      var step = size + 12, n = group.length, placed = 0;
      var radius = Math.max(size * 0.8, step / (2 * Math.sin(Math.PI / Math.min(n, 12))));
      while (placed < n) {
        var here = Math.min(Math.max(1, Math.floor(2 * Math.PI * radius / step)), n - placed);
        for (var j = 0; j < here; j++) {
          var angle = -Math.PI / 2 + 2 * Math.PI * j / here;
          out[group[placed + j]] = { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) };
        }
        placed += here;
        radius += step;
      }
    });
    return out;
  }

  // Names beside markers that overlap no other name, no marker and no obstacle.
  // items: [{x, y, r, h, widths, priority}]: the marker's centre and radius,
  // the height of a name and the widths of its forms (the full name first,
  // then shorter ones). The most important places choose first: each takes
  // the first side that is free, in its longest form that fits. Returns for
  // each item {side, form, box}, or null where there is no room (the name is
  // left out; the marker keeps its tooltip). `gap` is the space between a
  // marker and its name; `obstacles` are boxes no name may cover.
  function placeLabels(items, bounds, gap, obstacles) {
    gap = gap === undefined ? 9 : gap;
    var order = items.map(function (_, k) { return k; }).sort(function (a, b) {
      return (items[b].priority - items[a].priority) || a - b;
    });
    var taken = items.map(function (it) { return { x0: it.x - it.r, y0: it.y - it.r, x1: it.x + it.r, y1: it.y + it.r }; })
      .concat(obstacles || []);
    var out = new Array(items.length).fill(null);
    function hits(box) {
      if (bounds && (box.x0 < bounds.x0 || box.y0 < bounds.y0 || box.x1 > bounds.x1 || box.y1 > bounds.y1)) return true;
      for (var t = 0; t < taken.length; t++) {
        var o = taken[t];
        if (box.x0 < o.x1 && box.x1 > o.x0 && box.y0 < o.y1 && box.y1 > o.y0) return true;
      }
      return false;
    }
    order.forEach(function (k) {
      var it = items[k], d = it.r + gap, c = it.r * 0.75, h = it.h;
      for (var form = 0; form < it.widths.length; form++) {
        var w = it.widths[form];
        var sides = [ // [side, left, top]
          ["right", it.x + d, it.y - h / 2], ["left", it.x - d - w, it.y - h / 2],
          ["above", it.x - w / 2, it.y - d - h], ["below", it.x - w / 2, it.y + d],
          ["above-right", it.x + c, it.y - c - h], ["below-right", it.x + c, it.y + c],
          ["above-left", it.x - c - w, it.y - c - h], ["below-left", it.x - c - w, it.y + c],
          // a little higher or lower beside the marker
          ["right", it.x + d, it.y - h / 2 - h * 0.75], ["right", it.x + d, it.y - h / 2 + h * 0.75],
          ["left", it.x - d - w, it.y - h / 2 - h * 0.75], ["left", it.x - d - w, it.y - h / 2 + h * 0.75],
        ];
        for (var s = 0; s < sides.length; s++) {
          var box = { x0: sides[s][1], y0: sides[s][2], x1: sides[s][1] + w, y1: sides[s][2] + h };
          if (!hits(box)) { taken.push(box); out[k] = { side: sides[s][0], form: form, box: box }; return; }
        }
      }
    });
    return out;
  }

  // A name and its shorter forms: without what follows its last comma ("…, Almaty"), then cut to a few words.
  function nameForms(name, maxShort) {
    var forms = [name], comma = name.lastIndexOf(", ");
    if (comma > 0) forms.push(name.slice(0, comma));
    var last = forms[forms.length - 1], limit = maxShort || 18;
    if (last.length > limit) {
      var cut = last.slice(0, limit), space = cut.lastIndexOf(" ");
      forms.push((space > 6 ? cut.slice(0, space) : cut).replace(/[\s,;:(–-]+$/, "") + "…");
    }
    return forms;
  }

  /* ---------- coordinates typed or pasted ---------- */

  // Latitude and longitude from what a person pastes: "43.2347, 76.9478", "43,2347; 76,9478",
  // an OpenStreetMap link (#map=17/43.2347/76.9478 or ?mlat=…&mlon=…) or a Google Maps link
  // (@43.2347,76.9478,17z or ?q=43.2347,76.9478). Null when it holds no such pair.
  function parseCoordinates(text) {
    var s = String(text || "").trim(), m;
    var patterns = [
      /[?&]mlat=(-?\d+(?:\.\d+)?)&mlon=(-?\d+(?:\.\d+)?)/,
      /#map=\d+\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)/,
      /@(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)(?:,|$)/,
      /[?&](?:q|query|ll|center)=(-?\d+(?:\.\d+)?)(?:,|%2C)\s*(-?\d+(?:\.\d+)?)/i,
      /^(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)$/, // 43.2347, 76.9478
      /^(-?\d+(?:,\d+)?)\s*[;\s]\s*(-?\d+(?:,\d+)?)$/, // 43,2347; 76,9478 (decimal commas)
    ];
    for (var k = 0; k < patterns.length; k++) {
      if ((m = patterns[k].exec(s))) {
        var lat = Number(m[1].replace(",", ".")), lon = Number(m[2].replace(",", "."));
        if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) return { lat: lat, lon: lon };
      }
    }
    return null;
  }

  return {
    CONTEXT_BIT: CONTEXT_BIT, CONTEXT_ID: CONTEXT_ID, SORT_KEYS: SORT_KEYS,
    fmt: fmt, fold: fold, safeUrl: safeUrl, dayToIso: dayToIso, isoToDay: isoToDay,
    Model: Model, defaultFilters: defaultFilters, passes: passes, filterCounts: filterCounts,
    sameFilters: sameFilters, typeChoices: typeChoices, statusChoices: statusChoices,
    formatHash: formatHash, parseHash: parseHash, searchIndex: searchIndex, search: search,
    listRows: listRows, histogram: histogram, playDays: playDays,
    overlapping: overlapping, spread: spread, placeLabels: placeLabels, nameForms: nameForms,
    parseCoordinates: parseCoordinates,
  };
});
