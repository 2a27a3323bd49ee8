/* mapgen incident map: builds markers, popups, filters and panels from the
 * data that mapgen embeds once in the page (a JSON script block).
 * This file: data, markers, popup cards, filtering, permalink. The panel with
 * its filters, timeline, search and legend is in mapgen-panel.js.
 *
 * Every piece of text from the data is put into the page with textContent or
 * as a DOM attribute, never as HTML, so no cell of a CSV can inject markup.
 */
(function () {
  "use strict";

  var ALL_TAGS_CONTEXT_BIT = 31; // incidents with no tag ("context") use this bit
  var CONTEXT_ID = "context"; // its name in the permalink
  var DOUBTFUL = ["unverified", "disputed", "candidate"];
  var SHARED_AREA_COLOUR = "#444";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key === "style") node.style.cssText = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? String(values[key]) : "{" + key + "}";
    });
  }

  function fold(text) {
    // lower-case, accents removed: "Bürgermeisteramt" matches "burgermeister"
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function safeUrl(url) {
    return /^https?:\/\//i.test(url || "") ? url : null;
  }

  function dayToIso(day) {
    return new Date(day * 86400000).toISOString().slice(0, 10);
  }

  // A div icon whose focusable element carries an accessible name (markers are
  // reachable with Tab; Enter opens the popup or zooms into a cluster).
  var LabelledIcon = L.DivIcon.extend({
    createIcon: function (oldIcon) {
      var div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
      if (this.options.label) div.setAttribute("aria-label", this.options.label);
      return div;
    },
  });

  function App(map, data) {
    this.map = map;
    this.data = data;
    this.t = data.i18n;
    var P = data.places, I = data.incidents;
    this.nPlaces = P.name.length;
    this.nInc = I.place.length;
    this.incPlace = Int32Array.from(I.place);
    this.incStatus = Uint8Array.from(I.status);
    this.incDay = Int32Array.from(I.day);
    this.incMask = new Uint32Array(this.nInc);
    for (var i = 0; i < this.nInc; i++) {
      var tags = I.tags[i], mask = 0;
      if (typeof tags === "number") tags = [tags];
      for (var j = 0; j < tags.length; j++) mask |= 1 << tags[j];
      this.incMask[i] = mask || (1 << ALL_TAGS_CONTEXT_BIT);
    }
    // incidents of each place, as index lists (CSV order)
    this.placeIncidents = [];
    for (var p = 0; p < this.nPlaces; p++) this.placeIncidents.push([]);
    for (i = 0; i < this.nInc; i++) this.placeIncidents[this.incPlace[i]].push(i);
    // first and last dated day (a loop: Math.min.apply overflows the stack past ~100,000 values)
    var minDay = Infinity, maxDay = -Infinity;
    for (i = 0; i < this.nInc; i++) {
      var day = this.incDay[i];
      if (day >= 0) { if (day < minDay) minDay = day; if (day > maxDay) maxDay = day; }
    }
    this.minDay = minDay === Infinity ? 0 : minDay;
    this.maxDay = maxDay === -Infinity ? 0 : maxDay;
    this.filters = this.defaultFilters();
    this.markers = new Array(this.nPlaces);
    this.circles = new Array(this.nPlaces);
    this.shown = new Uint8Array(this.nPlaces);
    this.ready = false;
  }

  App.prototype.defaultFilters = function () {
    var tagMask = 1 << ALL_TAGS_CONTEXT_BIT;
    for (var k = 0; k < this.data.taxonomy.length; k++) tagMask |= 1 << k;
    return { tags: tagMask >>> 0, status: (1 << this.data.statuses.length) - 1,
             from: this.minDay, to: this.maxDay };
  };

  App.prototype.incidentPasses = function (i) {
    var f = this.filters, day = this.incDay[i];
    return (this.incMask[i] & f.tags) !== 0 &&
      ((f.status >> this.incStatus[i]) & 1) === 1 &&
      (day < 0 || (day >= f.from && day <= f.to));
  };

  /* ---------- markers ---------- */

  App.prototype.dominantTag = function (p) {
    var best = -1, bestSeverity = -1, tax = this.data.taxonomy, list = this.placeIncidents[p];
    for (var n = 0; n < list.length; n++) {
      var mask = this.incMask[list[n]];
      for (var k = 0; k < tax.length; k++) {
        if ((mask >> k) & 1 && tax[k].severity > bestSeverity) { best = k; bestSeverity = tax[k].severity; }
      }
    }
    return best;
  };

  App.prototype.iconFor = function (p) {
    var k = this.dominantTag(p);
    var tag = k >= 0 ? this.data.taxonomy[k] : null;
    var exact = this.data.places.precision[p] === 0;
    // "?" when every incident there is in doubt (unverified, disputed or not yet reviewed)
    var doubtful = this.placeIncidents[p].every(function (i) {
      return DOUBTFUL.indexOf(this.data.statuses[this.incStatus[i]]) >= 0;
    }, this);
    var box = el("div", {
      className: "mg-marker " + (exact ? "mg-pin" : "mg-ring") + (doubtful ? " mg-doubtful" : ""),
      style: "--mg-colour:" + (tag ? tag.colour : "#555"),
    }, [
      el("i", { className: "fa-solid fa-" + (tag ? tag.icon : "circle-info"), "aria-hidden": "true" }),
      this.placeIncidents[p].length > 1
        ? el("span", { className: "mg-count", text: String(this.placeIncidents[p].length) }) : null,
    ]);
    var n = this.placeIncidents[p].length;
    return new LabelledIcon({
      html: box, className: "mg-icon",
      label: fmt(n === 1 ? this.t.marker_label_one : this.t.marker_label, { name: this.data.places.name[p], n: n }),
      iconSize: exact ? [30, 40] : [30, 30], iconAnchor: exact ? [15, 40] : [15, 15],
      popupAnchor: exact ? [0, -36] : [0, -14], tooltipAnchor: exact ? [12, -26] : [14, 0],
    });
  };

  App.prototype.buildLayers = function () {
    var P = this.data.places, self = this;
    this.renderer = L.canvas({ padding: 0.3 });
    this.cluster = L.markerClusterGroup({
      maxClusterRadius: this.data.options.cluster_radius,
      chunkedLoading: true, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
      iconCreateFunction: function (cluster) {
        return new LabelledIcon({
          html: el("div", { className: "mg-cluster" }, [el("span", { text: String(cluster.getChildCount()) })]),
          className: "mg-icon", iconSize: [36, 36], label: fmt(self.t.cluster_label, { n: cluster.getChildCount() }),
        });
      },
    });
    this.areas = L.layerGroup();
    var areaByKey = {};
    for (var p = 0; p < this.nPlaces; p++) {
      if (P.panel[p]) continue;
      var latlng = [P.lat[p], P.lon[p]];
      var marker = L.marker(latlng, { icon: this.iconFor(p), keyboard: true });
      marker.mgPlace = p;
      marker.bindTooltip(this.tooltipFor(p), { direction: "top" });
      marker.bindPopup(this.popupFor(p), this.popupOptions());
      this.markers[p] = marker;
      if (P.radius[p] > 0) {
        // places sharing a point and radius (several "somewhere in Almaty") share one circle
        var key = P.lat[p] + "," + P.lon[p] + "," + P.radius[p];
        if (!areaByKey[key]) {
          areaByKey[key] = L.circle(latlng, {
            radius: P.radius[p], renderer: this.renderer, className: "mg-area",
            color: this.markerColour(p), weight: 2, dashArray: "6 6", fillOpacity: 0.06, interactive: false,
          });
          areaByKey[key].mgUsers = 0;
        } else if (areaByKey[key].options.color !== this.markerColour(p)) {
          areaByKey[key].setStyle({ color: SHARED_AREA_COLOUR }); // one circle, several types
        }
        this.circles[p] = areaByKey[key];
      }
    }
    this.areas.addTo(this.map);
    this.cluster.addTo(this.map);
    void self;
  };

  App.prototype.markerColour = function (p) {
    var k = this.dominantTag(p);
    return k >= 0 ? this.data.taxonomy[k].colour : "#555";
  };

  App.prototype.tooltipFor = function (p) {
    var self = this;
    return function () { return el("span", { className: "mg-tooltip", text: self.data.places.name[p] }); };
  };

  App.prototype.popupFor = function (p) {
    var self = this;
    return function () { return self.placeCard(p, "div"); };
  };

  /* ---------- popup / card content ---------- */

  App.prototype.precisionText = function (p) {
    var P = this.data.places, name = this.data.precisions[P.precision[p]];
    var km = Math.round(P.radius[p] / 100) / 10;
    return fmt(this.t["precision_" + name], { km: km });
  };

  App.prototype.dateText = function (i) {
    var day = this.incDay[i];
    if (day < 0) return this.t.undated;
    var iso = dayToIso(day);
    var dp = this.data.date_precisions[this.data.incidents.date_precision[i]];
    var note = this.t["dp_" + dp];
    return note ? iso + " (" + note + ")" : iso;
  };

  App.prototype.incidentItem = function (i) {
    var I = this.data.incidents, tax = this.data.taxonomy, mask = this.incMask[i];
    var labels = [];
    for (var k = 0; k < tax.length; k++) {
      if ((mask >> k) & 1) {
        labels.push(el("span", { className: "mg-tag", style: "--mg-colour:" + tax[k].colour, title: tax[k].definition }, [
          el("i", { className: "fa-solid fa-" + tax[k].icon, "aria-hidden": "true" }), " " + tax[k].label,
        ]));
      }
    }
    if (!labels.length) labels.push(el("span", { className: "mg-tag mg-context", text: this.t.context }));
    var status = this.data.statuses[this.incStatus[i]];
    var source = this.data.sources[I.source[i]] || "";
    var url = I.url[i] >= 0 ? safeUrl(this.data.urls[I.url[i]]) : null;
    var sourceNode = url
      ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: source || url })
      : document.createTextNode(source);
    return el("li", { className: "mg-incident", "data-status": status }, [
      el("div", { className: "mg-tags" }, labels),
      el("div", { className: "mg-meta" }, [
        el("span", { className: "mg-date mg-date-" + (this.data.date_precisions[I.date_precision[i]] || "none"),
          text: this.dateText(i) }), " · ",
        el("span", { className: "mg-status mg-status-" + status, text: this.t["status_" + status] || status }),
      ]),
      I.summary[i] ? el("p", { className: "mg-summary", text: I.summary[i] }) : null,
      source || url ? el("div", { className: "mg-source" }, [this.t.source + ": ", sourceNode]) : null,
    ]);
  };

  App.prototype.placeCard = function (p, tag) {
    var P = this.data.places, list = this.placeIncidents[p], items = [], hidden = 0;
    for (var n = 0; n < list.length; n++) {
      if (this.incidentPasses(list[n])) items.push(this.incidentItem(list[n]));
      else hidden++;
    }
    var aliases = P.aliases[p];
    return el(tag, { className: "mg-card", "data-place": P.name[p] }, [
      el("h3", { className: "mg-place", text: P.name[p], tabindex: "-1" }),
      el("div", { className: "mg-precision mg-precision-" + this.data.precisions[P.precision[p]], text: this.precisionText(p) }),
      aliases ? el("div", { className: "mg-aliases", text: this.t.also_known_as + ": " + aliases }) : null,
      P.loc[p] ? el("div", { className: "mg-located", text: this.t.located_by + ": " + (this.t["loc_" + P.loc[p]] || P.loc[p]) }) : null,
      el("ul", { className: "mg-incidents" }, items),
      hidden ? el("div", { className: "mg-hidden", text: fmt(this.t.hidden_by_filters, { n: hidden }) }) : null,
    ]);
  };

  /* ---------- filtering ---------- */

  App.prototype.apply = function () {
    var P = this.data.places, visible = new Uint8Array(this.nPlaces), i, p;
    for (i = 0; i < this.nInc; i++) if (!visible[this.incPlace[i]] && this.incidentPasses(i)) visible[this.incPlace[i]] = 1;
    var add = [], remove = [];
    for (p = 0; p < this.nPlaces; p++) {
      if (P.panel[p]) continue;
      if (visible[p] && !this.shown[p]) add.push(p);
      else if (!visible[p] && this.shown[p]) remove.push(p);
    }
    var self = this;
    this.cluster.removeLayers(remove.map(function (q) { return self.markers[q]; }));
    this.cluster.addLayers(add.map(function (q) { return self.markers[q]; }));
    remove.forEach(function (q) {
      var c = self.circles[q];
      if (c && --c.mgUsers === 0) self.areas.removeLayer(c);
    });
    add.forEach(function (q) {
      var c = self.circles[q];
      if (c && c.mgUsers++ === 0) self.areas.addLayer(c);
    });
    for (p = 0; p < this.nPlaces; p++) if (!P.panel[p]) this.shown[p] = visible[p];
    this.visible = visible;
    this.map.closePopup();
    this.renderPanel();
    this.updateCounts();
    this.writeHash();
    this.map.fire("mapgen:filtered");
  };

  App.prototype.visiblePlaceNames = function () {
    var names = [], P = this.data.places;
    for (var p = 0; p < this.nPlaces; p++) if (!P.panel[p] && this.shown[p]) names.push(P.name[p]);
    return names;
  };

  /* ---------- choices, focus ---------- */

  // Types (and statuses) that occur in the data: only these get a checkbox.
  App.prototype.typeChoices = function () {
    var tax = this.data.taxonomy, counts = new Array(tax.length).fill(0), context = 0, out = [];
    for (var i = 0; i < this.nInc; i++) {
      var m = this.incMask[i];
      if (m === (1 << ALL_TAGS_CONTEXT_BIT) >>> 0) { context++; continue; }
      for (var k = 0; k < tax.length; k++) if ((m >> k) & 1) counts[k]++;
    }
    tax.forEach(function (tag, k) { if (counts[k]) out.push({ id: tag.id, bit: k, label: tag.label, count: counts[k], tag: tag }); });
    if (context) out.push({ id: CONTEXT_ID, bit: ALL_TAGS_CONTEXT_BIT, label: this.t.context, count: context, tag: null });
    return out;
  };

  App.prototype.statusChoices = function () {
    var counts = new Array(this.data.statuses.length).fill(0), out = [], t = this.t;
    for (var i = 0; i < this.nInc; i++) counts[this.incStatus[i]]++;
    this.data.statuses.forEach(function (name, s) {
      if (counts[s]) out.push({ id: name, bit: s, label: t["status_" + name] || name, count: counts[s], tag: null });
    });
    return out;
  };

  // Show place p: open its popup on the map, or its card in the side panel.
  // keepFilters: leave the filters alone even if they hide the place.
  App.prototype.focusPlace = function (p, keepFilters) {
    var P = this.data.places, self = this;
    if (this.isNarrow()) this.setPanel(true);
    if (P.panel[p]) {
      this.setOffmap(false);
      var card = this.offmapBody.querySelector('[data-index="' + p + '"]');
      if (card && card.classList.contains("mg-empty") && !keepFilters) {
        this.filters = this.defaultFilters(); this.syncInputs(); this.apply();
        card = this.offmapBody.querySelector('[data-index="' + p + '"]');
      }
      if (card) {
        card.scrollIntoView({ block: "nearest" });
        card.classList.add("mg-flash");
        card.querySelector("h3").focus({ preventScroll: true });
      }
      return;
    }
    if (!this.shown[p]) {
      if (keepFilters) return;
      this.filters = this.defaultFilters(); this.syncInputs(); this.apply();
    }
    var marker = this.markers[p], tries = 0;
    function show() {
      self.cluster.zoomToShowLayer(marker, function () {
        // MarkerCluster can call back while its own animation still hides the marker: try
        // again, for up to 5 s (a busy phone or a shared machine animates slowly)
        if (!self.map.hasLayer(marker)) { if (tries++ < 20) setTimeout(show, 250); return; }
        marker.openPopup();
        var heading = marker.getPopup().getElement() && marker.getPopup().getElement().querySelector("h3");
        if (heading && !keepFilters) heading.focus({ preventScroll: true });
      });
    }
    show();
  };

  /* ---------- keyboard and popups ---------- */

  // Pan the map so an opened popup is fully visible and clear of the panel (top
  // left), the map's buttons (top right) and the side panel (bottom right);
  // Leaflet's own autoPan knows none of them.
  // An obstacle is passed on its free side if the popup fits there, else below.
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
    if (dx || dy) this.map.panBy([dx, dy]);
  };

  // Popups scroll inside rather than grow past the screen.
  App.prototype.popupOptions = function () {
    return { maxWidth: 360, minWidth: 240, maxHeight: Math.max(200, this.map.getSize().y - 300), autoPan: false };
  };

  App.prototype.watchPopups = function () {
    var self = this;
    this.map.on("popupopen", function (ev) {
      var node = ev.popup.getElement(), source = ev.popup._source;
      // measured mid-zoom the popup is not yet where it ends up: wait for the zoom to end
      if (self.map._animatingZoom) self.map.once("zoomend", function () { self.keepClear(ev.popup); });
      else self.keepClear(ev.popup);
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
      self.writeHash();
    });
    this.map.on("popupclose", function () {
      self.openPlace = -1;
      self.writeHash();
    });
  };

  /* ---------- permalink ---------- */

  // #map=zoom/lat/lon&types=gunfire,arson&status=reported&dates=2022-01-07,2022-01-08&place=Name
  // Filters at their default are left out, so a plain view gives a short link.
  App.prototype.writeHash = function () {
    if (!this.ready) return;
    var c = this.map.getCenter(), f = this.filters, d = this.defaultFilters(), parts = [];
    parts.push("map=" + this.map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    var types = this.typeChoices(), statuses = this.statusChoices();
    function on(choices, mask) {
      return choices.filter(function (c) { return (mask >>> c.bit) & 1; });
    }
    function ids(choices) { return choices.map(function (c) { return encodeURIComponent(c.id); }).join(","); }
    if (on(types, f.tags).length !== types.length) parts.push("types=" + ids(on(types, f.tags)));
    if (on(statuses, f.status).length !== statuses.length) parts.push("status=" + ids(on(statuses, f.status)));
    if (f.from !== d.from || f.to !== d.to) parts.push("dates=" + dayToIso(f.from) + "," + dayToIso(f.to));
    if (this.openPlace >= 0) parts.push("place=" + encodeURIComponent(this.data.places.name[this.openPlace]));
    var hash = "#" + parts.join("&");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  };

  function decode(text) {
    try { return decodeURIComponent(text); } catch (e) { return null; }
  }

  // Read filters, view and open place from the URL hash; anything malformed is ignored.
  App.prototype.readHash = function () {
    var params = {}, f = this.defaultFilters();
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var at = kv.indexOf("=");
      if (at > 0) params[kv.slice(0, at)] = kv.slice(at + 1);
    });
    function mask(choices, text, all) {
      var wanted = text.split(",").map(decode), out = all;
      choices.forEach(function (c) { out = (out & ~(1 << c.bit)) >>> 0; });
      choices.forEach(function (c) { if (wanted.indexOf(c.id) >= 0) out = (out | (1 << c.bit)) >>> 0; });
      return out;
    }
    if (typeof params.types === "string") f.tags = mask(this.typeChoices(), params.types, f.tags);
    if (typeof params.status === "string") f.status = mask(this.statusChoices(), params.status, f.status);
    var dates = /^(\d{4}-\d{2}-\d{2}),(\d{4}-\d{2}-\d{2})$/.exec(params.dates || "");
    if (dates) {
      var a = Math.round(Date.parse(dates[1]) / 86400000), b = Math.round(Date.parse(dates[2]) / 86400000);
      if (a <= b) { f.from = Math.max(this.minDay, Math.min(a, this.maxDay)); f.to = Math.min(this.maxDay, Math.max(b, f.from)); }
    }
    this.filters = f;
    var view = /^(\d{1,2})\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/.exec(params.map || "");
    var lat = view ? Number(view[2]) : NaN, lon = view ? Number(view[3]) : NaN;
    var name = params.place ? decode(params.place) : null;
    return {
      view: view && Math.abs(lat) <= 90 && Math.abs(lon) <= 180
        ? { zoom: Math.min(this.map.getMaxZoom(), Number(view[1])), center: [lat, lon] } : null,
      place: name === null ? -1 : this.data.places.name.indexOf(name),
    };
  };

  App.prototype.fitAll = function () {
    var P = this.data.places, pts = [];
    for (var p = 0; p < this.nPlaces; p++) if (!P.panel[p]) pts.push([P.lat[p], P.lon[p]]);
    if (!pts.length) { this.map.setView([20, 0], 2); return; }
    var wide = this.map.getSize().x > 700 && !this.panelNode.classList.contains("mg-collapsed");
    var left = wide ? this.panelNode.offsetWidth + 20 : 20;
    this.map.fitBounds(L.latLngBounds(pts), { maxZoom: 14, paddingTopLeft: [left, 40], paddingBottomRight: [40, 40] });
  };

  App.prototype.restore = function (state) {
    this.syncInputs();
    if (state.view) this.map.setView(state.view.center, state.view.zoom, { animate: false });
    else this.fitAll();
  };

  App.prototype.start = function () {
    var self = this;
    this.openPlace = -1;
    this.buildControls();
    this.translateLeaflet();
    this.watchPopups();
    var state = this.readHash();
    // the view is set before the markers are added, so clustering starts at its final zoom
    this.restore(state);
    this.buildLayers();
    this.apply();
    this.ready = true;
    if (state.place >= 0) this.focusPlace(state.place, true);
    this.writeHash();
    this.map.on("moveend", function () { self.writeHash(); });
    window.addEventListener("hashchange", function () {
      self.ready = false;
      var next = self.readHash();
      self.restore(next);
      self.apply();
      self.ready = true;
      if (next.place >= 0) self.focusPlace(next.place, true);
      self.writeHash();
    });
    document.documentElement.setAttribute("data-mapgen-ready", "1");
    return this;
  };

  // The panel script (mapgen-panel.js) adds the controls to App.prototype.
  window.mapgen = {
    App: App, el: el, fmt: fmt, fold: fold, dayToIso: dayToIso,
    CONTEXT_BIT: ALL_TAGS_CONTEXT_BIT,
    start: function (map, dataNode) {
      var data = JSON.parse(document.getElementById(dataNode).textContent);
      var app = new App(map, data).start();
      window.mapgen.app = app;
      return app;
    },
  };
})();
