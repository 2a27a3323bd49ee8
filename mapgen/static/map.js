/* mapgen map: draws the places that pass the filters on a Leaflet map.
 *
 * The data (page format 2, docs/page-data.md) becomes a core.Model; a Web
 * Worker (worker.js, with Supercluster) counts what passes the filters and
 * returns the clusters and places in view, and this file draws only those:
 * a pin for an exact spot, a dashed ring with its circle of uncertainty for
 * an approximate one, a bubble for a cluster. Markers that would overlap are
 * set around their spot with a leader line, and named where there is room.
 * The markers themselves are made in markers.js; cards, panels and the list
 * are in cards.js, panel.js and list.js.
 */
(function (core) {
  "use strict";

  var LABEL_LIMIT = 60;   // name the places on the map when at most this many are in view
  var SMALL_MAP = 40;     // maps with at most this many places cluster only when zoomed far out
  var mapgen = window.mapgen = { core: core };
  var ICON = mapgen.ICON = 30; // marker size in pixels
  var PIN = mapgen.PIN = 23;   // a pin's tip is this far below the middle of its head

  function App(map, data, texts) {
    this.map = map;
    this.data = data;
    this.t = data.i18n;
    this.model = new core.Model(data);
    this.texts = texts;
    this.filters = core.defaultFilters(this.model);
    this.counts = new Uint32Array(this.model.nPlaces);
    this.openPlace = -1;
    this.seq = 0;
    this.markers = {};    // place -> its marker, while drawn
    this.drawn = [];      // every layer of the last drawing
    this.ready = false;
  }
  mapgen.App = App;

  /* ---------- the worker ---------- */

  // The worker's code: the pinned Supercluster (inline, or fetched from its
  // file with its hash checked by the browser), core.js and worker.js.
  App.prototype.startWorker = function () {
    var node = document.getElementById("mapgen-supercluster");
    var library = node.textContent.trim()
      ? Promise.resolve(node.textContent)
      : fetch(node.getAttribute("data-src"), { integrity: node.getAttribute("data-integrity"), mode: "cors" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); });
    var self = this;
    return library.then(function (code) {
      var source = [code, document.getElementById("mapgen-core").textContent,
                    document.getElementById("mapgen-worker").textContent].join("\n;\n");
      self.worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
      self.replies = {};
      self.worker.onmessage = function (event) {
        var msg = event.data, done = self.replies[msg.seq];
        delete self.replies[msg.seq];
        if (msg.error) throw new Error("mapgen worker: " + msg.error);
        if (done) done(msg);
      };
      var m = self.model, P = self.data.places;
      return self.ask({ type: "init", model: {
        nPlaces: m.nPlaces, nInc: m.nInc, place: m.place, mask: m.mask, status: m.status, day: m.day,
        source: m.source, onMap: m.onMap, minDay: m.minDay, maxDay: m.maxDay,
        lat: Float64Array.from(P.lat, function (v) { return v === null ? NaN : v; }),
        lon: Float64Array.from(P.lon, function (v) { return v === null ? NaN : v; }),
        data: { places: { name: P.name, aliases: P.aliases }, taxonomy: self.data.taxonomy,
                sources: self.data.sources, statuses: self.data.statuses, date_precisions: self.data.date_precisions },
      }, options: self.clusterOptions() });
    });
  };

  App.prototype.ask = function (msg) {
    var self = this;
    msg.seq = ++this.seq;
    return new Promise(function (resolve) { self.replies[msg.seq] = resolve; self.worker.postMessage(msg); });
  };

  // Small maps cluster only when zoomed well out of their first view; large ones until zoom 17.
  App.prototype.clusterOptions = function () {
    var small = this.model.nPlaces <= SMALL_MAP;
    return { radius: small ? 40 : 60, maxZoom: this.map.getMaxZoom(),
             clusterBelow: small ? Math.max(0, this.fitZoom() - 3) : 17 };
  };

  /* ---------- filtering and drawing ---------- */

  // Apply this.filters: the worker counts, then the view is drawn again. Resolves once drawn.
  App.prototype.apply = function () {
    var self = this, filters = Object.assign({}, this.filters);
    this.filtering = filters;
    var counted = this.ask({ type: "filter", filters: filters });
    // asked for right behind the filter: the worker makes the view while this thread makes the panel
    // (its answer comes after the counts', so the counts are in when it is drawn)
    var drawn = this.redraw();
    return counted.then(function (result) {
      if (self.filtering !== filters) return null; // a newer filter is on its way
      self.counts = result.counts;
      self.totals = result;
      self.map.closePopup();
      if (self.renderPanel) self.renderPanel();
      return drawn.then(function () {
        if (self.filtering !== filters) return;
        if (self.updateCounts) self.updateCounts();
        self.writeHash();
        self.map.fire("mapgen:filtered");
      });
    });
  };

  // Ask the worker for the view and draw it; resolves once drawn (or overtaken by a newer view).
  App.prototype.redraw = function () {
    var self = this, map = this.map, b = map.getBounds().pad(0.25), zoom = map.getZoom();
    var ticket = this.viewTicket = {};
    this.drawnArea = { bounds: b, zoom: zoom }; // what the drawing covers, a quarter more than the view
    var bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
    if (b.getEast() - b.getWest() >= 360) { bbox[0] = -180; bbox[2] = 180; }
    return (this.drawing = this.ask({ type: "view", bbox: bbox, zoom: zoom }).then(function (answer) {
      if (self.viewTicket !== ticket) return;
      self.draw(answer.items, zoom);
      self.afterDraw();
    }));
  };

  // Draw the clusters and places of the view. A place's marker stays the same
  // element while it is drawn at the same spot (an open popup stays open).
  App.prototype.draw = function (items, zoom) {
    var map = this.map, P = this.data.places, self = this;
    this.drawn.forEach(function (layer) { map.removeLayer(layer); });
    this.drawn = [];
    var points = [], clusters = [];
    for (var k = 0; k < items.length; k += 5) {
      var latlng = L.latLng(items[k + 1], items[k]);
      if (items[k + 2] >= 0) {
        // where the marker's head is: a pin's tip is on the spot, its head above it
        var at = map.latLngToLayerPoint(latlng), lift = P.precision[items[k + 2]] === 0 ? PIN : 0;
        points.push({ p: items[k + 2], latlng: latlng, at: L.point(at.x, at.y - lift), lift: lift });
      } else clusters.push({ id: items[k + 3], n: items[k + 4], latlng: latlng });
    }
    clusters.forEach(function (c) { self.add(self.clusterMarker(c, zoom)); });
    // markers that would overlap are set around their spot
    var where = core.spread(points.map(function (pt) { return pt.at; }), ICON,
                            points.map(function (pt) { return self.importance(pt.p); }));
    var labels = points.length <= LABEL_LIMIT ? this.layoutLabels(points, where) : [];
    this.named = points.length > 0 && points.length <= LABEL_LIMIT; // the names are placed for this view
    var areas = {}, markers = {};
    points.forEach(function (pt, j) {
      var p = pt.p, moved = Math.abs(where[j].x - pt.at.x) + Math.abs(where[j].y - pt.at.y) > 0.5;
      var shownAt = moved ? map.layerPointToLatLng(L.point(where[j].x, where[j].y + pt.lift)) : pt.latlng;
      if (P.radius[p] > 0) { // places sharing a spot and radius share one circle
        var key = pt.latlng.lat + "," + pt.latlng.lng + "," + P.radius[p], colour = self.markerColour(p);
        if (!areas[key]) {
          areas[key] = self.add(L.circle(pt.latlng, { radius: P.radius[p], renderer: self.renderer, className: "mg-area",
            color: colour, weight: 2, dashArray: "6 6", fillOpacity: 0.06, interactive: false }));
        } else if (areas[key].options.color !== colour) areas[key].setStyle({ color: "#444" }); // several types
      }
      if (moved) { // a leader line from the marker to its spot
        self.add(L.polyline([pt.latlng, shownAt], { renderer: self.renderer, color: "#333", weight: 1.5, opacity: 0.8,
          interactive: false }));
        self.add(L.circleMarker(pt.latlng, { renderer: self.renderer, radius: 3, color: "#333", weight: 1,
          fillColor: "#fff", fillOpacity: 1, interactive: false }));
      }
      var at = shownAt.lat.toFixed(7) + "," + shownAt.lng.toFixed(7) + ",";
      var id = at + (labels[j] ? labels[j].side + labels[j].text : "");
      var old = self.markers[p];
      if (old && (old.mgId === id || old.isPopupOpen())) {
        // a marker with an open popup stays; where it is still drawn at the same spot, its name is placed
        // for this view (the popup's own panning would otherwise leave it where the old view had room)
        if (old.mgId !== id && old.mgId && old.mgId.lastIndexOf(at, 0) === 0) self.rename(old, p, labels[j], id);
        markers[p] = old;
        delete self.markers[p];
        return;
      }
      markers[p] = self.placeMarker(p, shownAt, labels[j], id);
    });
    Object.keys(this.markers).forEach(function (p) { map.removeLayer(self.markers[p]); });
    this.markers = markers;
  };

  App.prototype.add = function (layer) {
    layer.addTo(this.map);
    this.drawn.push(layer);
    return layer;
  };

  /* ---------- popups ---------- */

  // Popups scroll inside rather than grow past the screen.
  App.prototype.popupOptions = function () {
    return { maxWidth: 360, minWidth: 240, maxHeight: Math.max(200, this.map.getSize().y - 300), autoPan: false };
  };

  // Pan the map so an opened popup is fully visible and clear of the panel (top
  // left), the map's buttons (top right) and the side panel (bottom right);
  // Leaflet's own autoPan knows none of them.
  App.prototype.keepClear = function (popup) {
    var node = popup.getElement();
    if (!node) return;
    var box = node.getBoundingClientRect(), root = this.map.getContainer().getBoundingClientRect(), gap = 10;
    var area = { left: root.left + gap, right: root.right - gap, top: root.top + gap, bottom: root.bottom - 20 };
    var panel = this.panelNode.getBoundingClientRect();
    var buttons = this.map.getContainer().querySelector(".leaflet-top.leaflet-right").getBoundingClientRect();
    if (panel.width && box.top < panel.bottom + gap) {
      if (root.right - gap - (panel.right + gap) >= box.width) area.left = panel.right + gap;
      else area.top = Math.max(area.top, panel.bottom + gap);
    }
    if (buttons.width && box.top < buttons.bottom + gap) {
      if (buttons.left - gap - area.left >= box.width) area.right = buttons.left - gap;
      else area.top = Math.max(area.top, buttons.bottom + gap);
    }
    var side = this.offmapNode ? this.offmapNode.getBoundingClientRect() : null, pin = 45; // marker under the tip
    if (side && side.width && box.right > side.left) {
      if (side.top - gap - pin - area.top >= box.height) area.bottom = Math.min(area.bottom, side.top - gap - pin);
      else if (side.left - gap - area.left >= box.width) area.right = Math.min(area.right, side.left - gap);
      else area.bottom = Math.min(area.bottom, side.top - gap);
    }
    var dx = box.right > area.right ? box.right - area.right : box.left < area.left ? box.left - area.left : 0;
    var dy = box.top < area.top ? box.top - area.top
      : box.bottom > area.bottom ? Math.min(box.bottom - area.bottom, box.top - area.top) : 0;
    if (dx || dy) this.map.panBy([dx, dy], { animate: false });
  };

  // An open popup whose size changed since it was placed (its texts came, a font arrived, the
  // screen turned): once a frame, it scrolls within its height again and keeps clear of the
  // panels and buttons. The size it was placed at is taken now: the observer's first report
  // comes a frame later, when texts may have filled it already.
  App.prototype.watchSize = function (popup) {
    var self = this, node = popup.getElement(), seen = node.offsetWidth + "x" + node.offsetHeight;
    if (this.sizeWatch) this.sizeWatch.disconnect();
    if (!window.ResizeObserver) return;
    this.sizeWatch = new ResizeObserver(function () {
      var size = node.offsetWidth + "x" + node.offsetHeight;
      if (size === seen || self.growing) return;
      seen = size;
      self.growing = requestAnimationFrame(function () {
        self.growing = null;
        if (!popup.isOpen()) return;
        popup.update();
        self.keepClear(popup);
        seen = node.offsetWidth + "x" + node.offsetHeight;
      });
    });
    this.sizeWatch.observe(node);
  };

  App.prototype.watchPopups = function () {
    var self = this;
    this.map.on("popupopen", function (ev) {
      var node = ev.popup.getElement(), source = ev.popup._source;
      self.popup = ev.popup;
      self.keepClear(ev.popup);
      self.watchSize(ev.popup);
      var close = node.querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", self.t.close); close.title = self.t.close; }
      node.setAttribute("role", "dialog");
      var heading = node.querySelector("h3");
      if (heading) node.setAttribute("aria-label", heading.textContent);
      // opened from the keyboard: move focus into the popup so it is read out
      var icon = source && source.getElement && source.getElement();
      if (icon && document.activeElement === icon && heading) heading.focus({ preventScroll: true });
      L.DomEvent.on(node, "keydown", function (e) {
        if (e.key === "Escape") { self.map.closePopup(); if (icon && icon.isConnected) icon.focus({ preventScroll: true }); }
      });
      self.openPlace = source && source.mgPlace !== undefined ? source.mgPlace : -1;
      // the reader opened another place before the one asked for was drawn: theirs stays open
      if (self.focusAfterDraw && self.focusAfterDraw.place !== self.openPlace) self.focusAfterDraw = null;
      self.writeHash();
    });
    this.map.on("popupclose", function (ev) {
      if (self.popup === ev.popup && self.sizeWatch) { self.sizeWatch.disconnect(); self.sizeWatch = null; }
      if (self.openPlace === (ev.popup._source && ev.popup._source.mgPlace)) self.openPlace = -1;
      self.writeHash();
    });
  };

  /* ---------- showing one place ---------- */

  // Show place p: open its popup on the map, or its card in the side panel.
  // keepFilters: leave the filters alone even if they hide the place.
  App.prototype.focusPlace = function (p, keepFilters) {
    var self = this, m = this.model;
    if (this.isNarrow && this.isNarrow()) this.setPanel(true);
    if (m.start[p] < m.start[p + 1]) this.texts.get(m.start[p], function () {}); // on its way while the map moves
    var hidden = !this.counts[p];
    if (hidden && keepFilters) return Promise.resolve();
    var reset = hidden ? (this.filters = core.defaultFilters(m), this.syncInputs(), this.apply()) : Promise.resolve();
    return reset.then(function () {
      if (!m.onMap[p]) { self.showCard(p); return null; }
      // the zoom from which the place is not inside a cluster, and not nearer than needed
      return self.ask({ type: "reveal", place: p, zoom: Math.floor(self.map.getZoom()) }).then(function (answer) {
        self.focusAfterDraw = { place: p, focus: !keepFilters };
        var latlng = L.latLng(self.data.places.lat[p], self.data.places.lon[p]);
        var zoom = Math.max(self.map.getZoom(), answer.zoom), before = self.viewTicket;
        if (!self.map.getBounds().pad(-0.2).contains(latlng) || zoom !== self.map.getZoom()) {
          self.map.setView(latlng, zoom, { animate: false }); // its moveend draws the new view, or not if in reach
        }
        // resolves once the place is drawn and its popup open
        return self.viewTicket !== before ? self.drawing : self.redraw();
      });
    });
  };

  App.prototype.afterDraw = function () {
    var wanted = this.focusAfterDraw, marker = wanted && this.markers[wanted.place];
    if (!marker) return;
    this.focusAfterDraw = null;
    marker.openPopup();
    var node = marker.getPopup().getElement(), heading = node && node.querySelector("h3");
    if (heading && wanted.focus) heading.focus({ preventScroll: true });
  };

  /* ---------- permalink ---------- */

  App.prototype.writeHash = function () {
    if (!this.ready) return;
    var c = this.map.getCenter();
    var hash = core.formatHash(this.model, { filters: this.filters, place: this.openPlace,
      view: { zoom: this.map.getZoom(), lat: c.lat, lon: c.lng } });
    if (location.hash !== hash) history.replaceState(null, "", hash);
  };

  App.prototype.fitZoom = function () {
    var bounds = this.placesBounds();
    return bounds ? Math.min(this.map.getBoundsZoom(bounds, false, this.fitPadding()), 14) : 2;
  };

  App.prototype.placesBounds = function () {
    var P = this.data.places, pts = [];
    for (var p = 0; p < this.model.nPlaces; p++) if (this.model.onMap[p]) pts.push([P.lat[p], P.lon[p]]);
    return pts.length ? L.latLngBounds(pts) : null;
  };

  App.prototype.fitPadding = function () {
    var wide = this.map.getSize().x > 700 && !this.panelNode.classList.contains("mg-collapsed");
    var left = wide ? this.panelNode.offsetWidth + 20 : 20;
    return L.point(left + 60, 100); // room for names beside the markers
  };

  App.prototype.fitAll = function () {
    var bounds = this.placesBounds();
    if (!bounds) { this.map.setView([20, 0], 2, { animate: false }); return; }
    var wide = this.map.getSize().x > 700 && !this.panelNode.classList.contains("mg-collapsed");
    var left = wide ? this.panelNode.offsetWidth + 20 : 20;
    this.map.fitBounds(bounds, { maxZoom: 14, paddingTopLeft: [left + 30, 50], paddingBottomRight: [60, 50], animate: false });
  };

  App.prototype.restore = function (state) {
    this.filters = state.filters;
    this.syncInputs();
    if (state.view) this.map.setView([state.view.lat, state.view.lon], state.view.zoom, { animate: false });
    else this.fitAll();
  };

  App.prototype.start = function () {
    var self = this;
    this.renderer = L.svg({ padding: 0.3 }); // only what is in view is drawn: few enough for SVG
    this.buildControls();
    this.translateLeaflet();
    this.watchPopups();
    var state = core.parseHash(this.model, location.hash, this.map.getMaxZoom());
    this.restore(state);
    return this.startWorker().then(function () { return self.apply(); }).then(function () {
      self.ready = true;
      self.map.on("moveend", function () {
        // a small pan (a popup making room for itself) stays inside what is drawn: nothing to draw again,
        // unless names beside the markers must be placed again, clear of the panels and the screen's edges
        var area = self.drawnArea;
        if (!area || area.zoom !== self.map.getZoom() || !area.bounds.contains(self.map.getBounds()) || self.named) {
          self.redraw();
        }
        self.writeHash();
      });
      window.addEventListener("hashchange", function () { self.followHash(); });
      if (state.place >= 0) return self.focusPlace(state.place, true);
      self.writeHash();
    }).then(function () {
      document.documentElement.setAttribute("data-mapgen-ready", "1");
    });
  };

  // A link followed on the open page (the hash changed): apply it as a fresh load would.
  App.prototype.followHash = function () {
    var self = this, mine = this.following = {};
    var state = core.parseHash(this.model, location.hash, this.map.getMaxZoom());
    this.ready = false;
    this.restore(state);
    this.apply().then(function () {
      if (self.following !== mine) return; // another link was followed meanwhile
      self.ready = true;
      if (state.place >= 0) return self.focusPlace(state.place, true);
      self.writeHash();
    });
  };

  // Leaflet's own buttons speak English; give them the page's language.
  App.prototype.translateLeaflet = function () {
    var t = this.t, root = this.map.getContainer();
    [[".leaflet-control-zoom-in", t.zoom_in], [".leaflet-control-zoom-out", t.zoom_out],
     [".leaflet-control-layers-toggle", t.basemaps]].forEach(function (pair) {
      var node = root.querySelector(pair[0]);
      if (node) { node.title = pair[1]; node.setAttribute("aria-label", pair[1]); }
    });
  };

  // map.html?embed (or ?embed=1) is the page for an <iframe> in an article: its
  // panels start folded so the map shows (README: "Put the map in an article").
  mapgen.embedded = function (search) {
    var value = new URLSearchParams(search).get("embed");
    return value !== null && value !== "0" && value !== "false";
  };

  // Start the map of a folium map object; the data from the page, or from the site's data folder.
  mapgen.start = function (map, dataNode) {
    var node = document.getElementById(dataNode);
    var site = node.getAttribute("data-src");
    var loaded = site
      ? fetch(site).then(function (r) { return r.json(); })
      : Promise.resolve(JSON.parse(node.textContent));
    // mapgen.ready: resolves with the app once the map is drawn (for scripts added to a served page)
    mapgen.ready = loaded.then(function (data) {
      var inline = document.getElementById("mapgen-texts");
      var texts = new mapgen.Texts(data.texts, inline && inline.firstChild
        ? function () { return inline.textContent; } : null);
      var app = mapgen.app = new App(map, data, texts);
      app.embedded = mapgen.embedded(location.search); // read by buildControls
      if (app.embedded) {
        document.documentElement.classList.add("mg-embedded");
        // an <iframe> without allowfullscreen: the full-screen button could do nothing
        if (document.fullscreenEnabled === false) document.documentElement.classList.add("mg-no-fullscreen");
      }
      return app.start().then(function () { return app; });
    });
    return mapgen.ready;
  };
})(window.mapgenCore);
