/* mapgen incident map: builds markers, popups, filters and panels from the
 * data that mapgen embeds once in the page (a JSON script block).
 *
 * Every piece of text from the data is put into the page with textContent or
 * as a DOM attribute, never as HTML, so no cell of a CSV can inject markup.
 */
(function () {
  "use strict";

  var ALL_TAGS_CONTEXT_BIT = 31; // incidents with no tag ("context") use this bit

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
    var days = this.incDay.filter(function (d) { return d >= 0; });
    this.minDay = days.length ? Math.min.apply(null, Array.from(days)) : 0;
    this.maxDay = days.length ? Math.max.apply(null, Array.from(days)) : 0;
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
    var unconfirmed = this.placeIncidents[p].every(function (i) {
      return this.data.statuses[this.incStatus[i]] !== "confirmed";
    }, this);
    var box = el("div", {
      className: "mg-marker " + (exact ? "mg-pin" : "mg-ring") + (unconfirmed ? " mg-unconfirmed" : ""),
      style: "--mg-colour:" + (tag ? tag.colour : "#555"),
    }, [
      el("i", { className: "fa-solid fa-" + (tag ? tag.icon : "circle-info"), "aria-hidden": "true" }),
      this.placeIncidents[p].length > 1
        ? el("span", { className: "mg-count", text: String(this.placeIncidents[p].length) }) : null,
    ]);
    return L.divIcon({
      html: box, className: "mg-icon",
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
        return L.divIcon({
          html: el("div", { className: "mg-cluster" }, [el("span", { text: String(cluster.getChildCount()) })]),
          className: "mg-icon", iconSize: [36, 36],
        });
      },
    });
    this.areas = L.layerGroup();
    var areaByKey = {};
    for (var p = 0; p < this.nPlaces; p++) {
      if (P.panel[p]) continue;
      var latlng = [P.lat[p], P.lon[p]];
      var marker = L.marker(latlng, { icon: this.iconFor(p), title: P.name[p], alt: P.name[p], keyboard: true });
      marker.mgPlace = p;
      marker.bindTooltip(this.tooltipFor(p), { direction: "top" });
      marker.bindPopup(this.popupFor(p), { maxWidth: 360, minWidth: 240, autoPanPadding: [20, 20] });
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
        el("span", { className: "mg-date", text: this.dateText(i) }), " · ",
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
      el("h3", { className: "mg-place", text: P.name[p] }),
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

  /* ---------- controls ---------- */

  App.prototype.buildControls = function () {
    var self = this, t = this.t, data = this.data;
    var Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () { return self.panelNode; },
    });
    var collapsed = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    this.panelNode = el("section", { className: "mg-panel" + (collapsed ? " mg-collapsed" : ""), "aria-label": data.meta.title });
    L.DomEvent.disableClickPropagation(this.panelNode);
    L.DomEvent.disableScrollPropagation(this.panelNode);

    var toggle = el("button", {
      type: "button", className: "mg-toggle", "aria-expanded": collapsed ? "false" : "true",
      "aria-label": collapsed ? t.show_panel : t.hide_panel, title: collapsed ? t.show_panel : t.hide_panel,
      onclick: function () {
        var now = self.panelNode.classList.toggle("mg-collapsed");
        toggle.setAttribute("aria-expanded", now ? "false" : "true");
        toggle.setAttribute("aria-label", now ? t.show_panel : t.hide_panel);
        toggle.title = now ? t.show_panel : t.hide_panel;
      },
    }, [el("i", { className: "fa-solid fa-bars", "aria-hidden": "true" })]);

    var header = el("header", { className: "mg-title" }, [
      toggle,
      el("h1", { text: data.meta.title }),
    ]);
    var body = el("div", { className: "mg-body" });
    if (data.meta.description) body.appendChild(el("p", { className: "mg-description", text: data.meta.description }));
    this.countsNode = el("p", { className: "mg-counts", "aria-live": "polite" });
    body.appendChild(this.countsNode);
    body.appendChild(this.buildSearch());

    // incident types, with counts
    var typeBox = el("fieldset", { className: "mg-types" }, [el("legend", { text: t.types })]);
    var counts = new Array(data.taxonomy.length + 1).fill(0);
    for (var i = 0; i < this.nInc; i++) {
      var m = this.incMask[i];
      for (var k = 0; k < data.taxonomy.length; k++) if ((m >> k) & 1) counts[k]++;
      if (m === (1 << ALL_TAGS_CONTEXT_BIT) >>> 0 || m === 1 << ALL_TAGS_CONTEXT_BIT) counts[data.taxonomy.length]++;
    }
    this.typeInputs = [];
    data.taxonomy.forEach(function (tag, k) {
      if (!counts[k]) return;
      typeBox.appendChild(self.checkbox("type", k, tag.label, counts[k], tag, tag.definition));
    });
    if (counts[data.taxonomy.length]) {
      typeBox.appendChild(self.checkbox("type", ALL_TAGS_CONTEXT_BIT, t.context, counts[data.taxonomy.length], null, null));
    }
    body.appendChild(typeBox);

    var statusBox = el("fieldset", { className: "mg-statuses" }, [el("legend", { text: t.status })]);
    var scounts = new Array(data.statuses.length).fill(0);
    for (i = 0; i < this.nInc; i++) scounts[this.incStatus[i]]++;
    data.statuses.forEach(function (name, s) {
      if (scounts[s]) statusBox.appendChild(self.checkbox("status", s, t["status_" + name] || name, scounts[s], null, null));
    });
    body.appendChild(statusBox);
    body.appendChild(this.buildTimeline());
    body.appendChild(el("button", { type: "button", className: "mg-reset", text: t.reset, onclick: function () {
      self.filters = self.defaultFilters(); self.syncInputs(); self.apply();
    } }));
    body.appendChild(this.buildLegend());
    body.appendChild(this.buildSources());
    this.panelNode.appendChild(header);
    this.panelNode.appendChild(body);
    new Control().addTo(this.map);

    this.offmapNode = el("section", { className: "mg-offmap", "aria-label": t.offmap_title });
    L.DomEvent.disableClickPropagation(this.offmapNode);
    L.DomEvent.disableScrollPropagation(this.offmapNode);
    var Side = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () { return self.offmapNode; } });
    if (data.places.panel.some(Boolean)) new Side().addTo(this.map);

    var Full = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var button = el("a", { href: "#", role: "button", className: "mg-fullscreen", title: t.fullscreen, "aria-label": t.fullscreen },
          [el("i", { className: "fa-solid fa-expand", "aria-hidden": "true" })]);
        L.DomEvent.on(button, "click", function (ev) {
          L.DomEvent.preventDefault(ev);
          var node = self.map.getContainer();
          if (document.fullscreenElement) document.exitFullscreen();
          else if (node.requestFullscreen) node.requestFullscreen();
        });
        document.addEventListener("fullscreenchange", function () {
          var on = !!document.fullscreenElement;
          button.title = on ? t.exit_fullscreen : t.fullscreen;
          button.setAttribute("aria-label", button.title);
          setTimeout(function () { self.map.invalidateSize(); }, 50);
        });
        return el("div", { className: "leaflet-bar leaflet-control" }, [button]);
      },
    });
    new Full().addTo(this.map);
  };

  App.prototype.checkbox = function (kind, bit, label, count, tag, title) {
    var self = this;
    var input = el("input", { type: "checkbox", checked: true, "data-kind": kind, "data-bit": String(bit) });
    input.addEventListener("change", function () {
      var key = kind === "type" ? "tags" : "status";
      if (input.checked) self.filters[key] = (self.filters[key] | (1 << bit)) >>> 0;
      else self.filters[key] = (self.filters[key] & ~(1 << bit)) >>> 0;
      self.apply();
    });
    (kind === "type" ? this.typeInputs : (this.statusInputs = this.statusInputs || [])).push(input);
    return el("label", { className: "mg-check", title: title }, [
      input,
      tag ? el("span", { className: "mg-swatch", style: "--mg-colour:" + tag.colour }, [
        el("i", { className: "fa-solid fa-" + tag.icon, "aria-hidden": "true" })]) : null,
      el("span", { className: "mg-label", text: label }),
      el("span", { className: "mg-n", text: String(count) }),
    ]);
  };

  App.prototype.syncInputs = function () {
    var f = this.filters;
    this.typeInputs.forEach(function (input) { input.checked = !!((f.tags >>> Number(input.dataset.bit)) & 1); });
    (this.statusInputs || []).forEach(function (input) { input.checked = !!((f.status >> Number(input.dataset.bit)) & 1); });
    if (this.fromInput) {
      this.fromInput.value = String(f.from); this.toInput.value = String(f.to);
      this.rangeText.textContent = dayToIso(f.from) + " – " + dayToIso(f.to);
    }
  };

  App.prototype.buildTimeline = function () {
    var self = this, t = this.t, box = el("fieldset", { className: "mg-time" }, [el("legend", { text: t.dates })]);
    if (this.maxDay <= this.minDay) {
      if (this.maxDay > 0) box.appendChild(el("p", { className: "mg-range", text: dayToIso(this.minDay) }));
      return box;
    }
    var span = this.maxDay - this.minDay + 1, perDay = new Array(span).fill(0), peak = 0;
    for (var i = 0; i < this.nInc; i++) if (this.incDay[i] >= 0) perDay[this.incDay[i] - this.minDay]++;
    perDay.forEach(function (n) { peak = Math.max(peak, n); });
    var bins = Math.min(span, 120), width = 240, height = 36, ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "mg-histogram");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t.histogram);
    var binTotals = new Array(bins).fill(0);
    perDay.forEach(function (n, d) { binTotals[Math.floor(d * bins / span)] += n; });
    var binPeak = Math.max.apply(null, binTotals) || 1;
    binTotals.forEach(function (n, b) {
      var r = document.createElementNS(ns, "rect"), h = Math.max(n ? 2 : 0, Math.round(n / binPeak * height));
      r.setAttribute("x", String(b * width / bins)); r.setAttribute("width", String(Math.max(1, width / bins - 1)));
      r.setAttribute("y", String(height - h)); r.setAttribute("height", String(h));
      svg.appendChild(r);
    });
    function onInput() {
      var a = Number(self.fromInput.value), b = Number(self.toInput.value);
      if (a > b) { if (this === self.fromInput) b = a; else a = b; }
      self.filters.from = a; self.filters.to = b;
      self.syncInputs();
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.apply(); }, 60);
    }
    this.fromInput = el("input", { type: "range", min: String(this.minDay), max: String(this.maxDay), step: "1",
      value: String(this.filters.from), "aria-label": t.from, className: "mg-from" });
    this.toInput = el("input", { type: "range", min: String(this.minDay), max: String(this.maxDay), step: "1",
      value: String(this.filters.to), "aria-label": t.to, className: "mg-to" });
    this.fromInput.addEventListener("input", onInput);
    this.toInput.addEventListener("input", onInput);
    this.rangeText = el("p", { className: "mg-range", "aria-live": "polite" });
    box.appendChild(svg);
    box.appendChild(this.fromInput);
    box.appendChild(this.toInput);
    box.appendChild(this.rangeText);
    return box;
  };

  App.prototype.buildSearch = function () {
    var self = this, t = this.t, P = this.data.places;
    var results = el("ul", { className: "mg-results", role: "listbox" });
    var input = el("input", { type: "search", className: "mg-search", placeholder: t.search_placeholder,
      "aria-label": t.search, autocomplete: "off" });
    var index = P.name.map(function (name, p) { return fold(name + " " + (P.aliases[p] || "")); });
    input.addEventListener("input", function () {
      results.textContent = "";
      var q = fold(input.value.trim());
      if (!q) return;
      var hits = [];
      for (var p = 0; p < index.length && hits.length < 20; p++) if (index[p].indexOf(q) >= 0) hits.push(p);
      if (!hits.length) { results.appendChild(el("li", { className: "mg-nohit", text: t.no_match })); return; }
      hits.forEach(function (p) {
        var alias = (P.aliases[p] || "").split("; ").filter(function (a) { return fold(a).indexOf(q) >= 0; })[0];
        var button = el("button", { type: "button", onclick: function () { self.focusPlace(p); } },
          [P.name[p], alias ? el("small", { text: " (" + alias + ")" }) : null]);
        results.appendChild(el("li", { role: "option" }, [button]));
      });
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { var first = results.querySelector("button"); if (first) first.click(); }
    });
    return el("div", { className: "mg-searchbox", role: "search" }, [input, results]);
  };

  App.prototype.focusPlace = function (p) {
    var P = this.data.places, self = this;
    if (P.panel[p]) {
      var card = this.offmapNode.querySelector('[data-index="' + p + '"]');
      if (card) { card.scrollIntoView({ block: "nearest" }); card.classList.add("mg-flash"); }
      return;
    }
    var marker = this.markers[p];
    if (!this.shown[p]) { this.filters = this.defaultFilters(); this.syncInputs(); this.apply(); }
    this.cluster.zoomToShowLayer(marker, function () { marker.openPopup(); self.writeHash(); });
  };

  App.prototype.buildLegend = function () {
    var t = this.t;
    return el("details", { className: "mg-legend" }, [
      el("summary", { text: t.legend }),
      el("ul", {}, [
        el("li", {}, [el("span", { className: "mg-marker mg-pin mg-legend-icon", style: "--mg-colour:#555" }), " " + t.legend_exact]),
        el("li", {}, [el("span", { className: "mg-marker mg-ring mg-legend-icon", style: "--mg-colour:#555" }), " " + t.legend_approx]),
        el("li", {}, [el("span", { className: "mg-marker mg-ring mg-unconfirmed mg-legend-icon", style: "--mg-colour:#555" }), " " + t.legend_unconfirmed]),
      ]),
    ]);
  };

  App.prototype.buildSources = function () {
    var list = el("ul", {}, this.data.sources.map(function (s) { return el("li", { text: s }); }));
    return el("details", { className: "mg-sources" }, [el("summary", { text: this.t.sources + " (" + this.data.sources.length + ")" }), list]);
  };

  App.prototype.renderPanel = function () {
    if (!this.offmapNode) return;
    var P = this.data.places, node = this.offmapNode;
    node.textContent = "";
    node.appendChild(el("h2", { text: this.t.offmap_title }));
    node.appendChild(el("p", { className: "mg-note", text: this.t.offmap_note }));
    for (var p = 0; p < this.nPlaces; p++) {
      if (!P.panel[p]) continue;
      var card = this.placeCard(p, "article");
      card.setAttribute("data-index", String(p));
      if (!card.querySelector("li")) card.classList.add("mg-empty");
      node.appendChild(card);
    }
  };

  App.prototype.updateCounts = function () {
    var shownPlaces = 0, mapped = 0, P = this.data.places, shownInc = 0;
    for (var p = 0; p < this.nPlaces; p++) if (!P.panel[p]) { mapped++; if (this.shown[p]) shownPlaces++; }
    for (var i = 0; i < this.nInc; i++) if (this.incidentPasses(i)) shownInc++;
    this.countsNode.textContent = fmt(this.t.visible, { places: shownPlaces, total: mapped }) +
      " · " + shownInc + " / " + this.nInc + " " + this.t.incidents;
  };

  /* ---------- permalink ---------- */

  App.prototype.writeHash = function () {
    if (!this.ready) return;
    var c = this.map.getCenter(), f = this.filters;
    var parts = ["map=" + this.map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5)];
    var d = this.defaultFilters();
    if (f.tags !== d.tags) parts.push("types=" + f.tags.toString(36));
    if (f.status !== d.status) parts.push("status=" + f.status.toString(36));
    if (f.from !== d.from || f.to !== d.to) parts.push("dates=" + dayToIso(f.from) + "," + dayToIso(f.to));
    var hash = "#" + parts.join("&");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  };

  App.prototype.readHash = function () {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var at = kv.indexOf("=");
      if (at > 0) params[kv.slice(0, at)] = decodeURIComponent(kv.slice(at + 1));
    });
    var f = this.filters;
    if (/^[0-9a-z]+$/.test(params.types || "")) f.tags = parseInt(params.types, 36) >>> 0;
    if (/^[0-9a-z]+$/.test(params.status || "")) f.status = parseInt(params.status, 36);
    var dates = /^(\d{4}-\d{2}-\d{2}),(\d{4}-\d{2}-\d{2})$/.exec(params.dates || "");
    if (dates) {
      f.from = Math.max(this.minDay, Math.round(Date.parse(dates[1]) / 86400000));
      f.to = Math.min(this.maxDay, Math.round(Date.parse(dates[2]) / 86400000));
    }
    var view = /^(\d{1,2})\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(params.map || "");
    return view ? { zoom: Number(view[1]), center: [Number(view[2]), Number(view[3])] } : null;
  };

  App.prototype.start = function () {
    var self = this, P = this.data.places;
    this.buildLayers();
    var view = this.readHash();
    this.buildControls();
    this.syncInputs();
    if (view) this.map.setView(view.center, view.zoom);
    else {
      var pts = [];
      for (var p = 0; p < this.nPlaces; p++) if (!P.panel[p]) pts.push([P.lat[p], P.lon[p]]);
      var open = !this.panelNode.classList.contains("mg-collapsed");
      var size = this.map.getSize(), left = open && size.x > 700 ? this.panelNode.offsetWidth + 20 : 20;
      if (pts.length) this.map.fitBounds(L.latLngBounds(pts), { maxZoom: 14, paddingTopLeft: [left, 40], paddingBottomRight: [40, 40] });
      else this.map.setView([20, 0], 2);
    }
    this.apply();
    this.ready = true;
    this.writeHash();
    this.map.on("moveend", function () { self.writeHash(); });
    window.addEventListener("hashchange", function () {
      var v = self.readHash();
      self.syncInputs();
      self.ready = false;
      if (v) self.map.setView(v.center, v.zoom);
      self.apply();
      self.ready = true;
    });
    document.documentElement.setAttribute("data-mapgen-ready", "1");
    return this;
  };

  window.mapgen = {
    start: function (map, dataNode) {
      var data = JSON.parse(document.getElementById(dataNode).textContent);
      var app = new App(map, data).start();
      window.mapgen.app = app;
      return app;
    },
  };
})();
