/* mapgen incident map, part 2: the panel (filters by type and status, date
 * slider with histogram, search, legend, sources), the side panel of
 * country-wide places and the full-screen button. Loaded after mapgen.js.
 *
 * As in mapgen.js, text from the data only ever becomes text nodes or attributes.
 */
(function (mapgen) {
  "use strict";

  var App = mapgen.App, el = mapgen.el, fmt = mapgen.fmt, fold = mapgen.fold, dayToIso = mapgen.dayToIso;

  /* ---------- controls ---------- */

  function stopMapEvents(node) {
    L.DomEvent.disableClickPropagation(node);
    L.DomEvent.disableScrollPropagation(node);
  }

  // Show or hide the body of a panel, keeping its toggle button's state in step.
  function setCollapsed(panel, button, collapsed, labels) {
    panel.classList.toggle("mg-collapsed", collapsed);
    button.setAttribute("aria-expanded", collapsed ? "false" : "true");
    if (labels) {
      button.setAttribute("aria-label", collapsed ? labels[0] : labels[1]);
      button.title = collapsed ? labels[0] : labels[1];
    }
  }

  App.prototype.isNarrow = function () {
    return !!(window.matchMedia && window.matchMedia("(max-width: 600px)").matches);
  };

  App.prototype.setPanel = function (collapsed) {
    setCollapsed(this.panelNode, this.panelToggle, collapsed, [this.t.show_panel, this.t.hide_panel]);
  };

  App.prototype.setOffmap = function (collapsed) {
    if (this.offmapNode) setCollapsed(this.offmapNode, this.offmapToggle, collapsed, null);
  };

  App.prototype.buildControls = function () {
    var self = this, t = this.t, data = this.data, narrow = this.isNarrow();
    this.panelNode = el("section", { className: "mg-panel", "aria-label": data.meta.title });
    stopMapEvents(this.panelNode);
    this.panelToggle = el("button", { type: "button", className: "mg-toggle", onclick: function () {
      self.setPanel(!self.panelNode.classList.contains("mg-collapsed"));
    } }, [el("i", { className: "fa-solid fa-bars", "aria-hidden": "true" })]);
    this.panelNode.appendChild(el("header", { className: "mg-title" }, [this.panelToggle, el("h1", { text: data.meta.title })]));

    var body = el("div", { className: "mg-body" });
    if (data.meta.description) body.appendChild(el("p", { className: "mg-description", text: data.meta.description }));
    this.countsNode = el("p", { className: "mg-counts", "aria-live": "polite" });
    body.appendChild(this.countsNode);
    body.appendChild(this.buildSearch());
    body.appendChild(this.buildTypeFilter());
    body.appendChild(this.buildStatusFilter());
    body.appendChild(this.buildTimeline());
    body.appendChild(el("button", { type: "button", className: "mg-reset", text: t.reset, onclick: function () {
      self.filters = self.defaultFilters(); self.syncInputs(); self.apply();
    } }));
    body.appendChild(this.buildLegend(!narrow));
    body.appendChild(this.buildSources());
    this.panelNode.appendChild(body);
    var Panel = L.Control.extend({ options: { position: "topleft" }, onAdd: function () { return self.panelNode; } });
    new Panel().addTo(this.map);
    this.setPanel(narrow);

    if (data.places.panel.some(Boolean)) this.buildOffmap(narrow);
    this.buildFullscreen();
  };

  App.prototype.buildOffmap = function (collapsed) {
    var self = this, t = this.t;
    this.offmapNode = el("section", { className: "mg-offmap", "aria-label": t.offmap_title });
    stopMapEvents(this.offmapNode);
    this.offmapCount = el("span", { className: "mg-n" });
    this.offmapToggle = el("button", { type: "button", className: "mg-offmap-toggle", onclick: function () {
      self.setOffmap(!self.offmapNode.classList.contains("mg-collapsed"));
    } }, [
      el("i", { className: "fa-solid fa-globe", "aria-hidden": "true" }), " ",
      el("span", { className: "mg-label", text: t.offmap_title }), " ", this.offmapCount,
      el("i", { className: "fa-solid fa-chevron-down mg-chevron", "aria-hidden": "true" }),
    ]);
    this.offmapBody = el("div", { className: "mg-body" });
    this.offmapNode.appendChild(el("h2", {}, [this.offmapToggle]));
    this.offmapNode.appendChild(this.offmapBody);
    var Side = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () { return self.offmapNode; } });
    new Side().addTo(this.map);
    this.setOffmap(collapsed);
  };

  App.prototype.buildFullscreen = function () {
    var self = this, t = this.t;
    var Full = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var button = el("a", { href: "#", role: "button", className: "mg-fullscreen", title: t.fullscreen,
          "aria-label": t.fullscreen, "aria-pressed": "false" },
          [el("i", { className: "fa-solid fa-expand", "aria-hidden": "true" })]);
        L.DomEvent.on(button, "keydown", function (ev) {  // a button answers Space as well as Enter
          if (ev.key === " ") { L.DomEvent.preventDefault(ev); button.click(); }
        });
        L.DomEvent.on(button, "click", function (ev) {
          L.DomEvent.preventDefault(ev);
          var node = self.map.getContainer();
          if (document.fullscreenElement) document.exitFullscreen();
          else if (node.requestFullscreen) node.requestFullscreen();
        });
        document.addEventListener("fullscreenchange", function () {
          var on = document.fullscreenElement === self.map.getContainer();
          button.title = on ? t.exit_fullscreen : t.fullscreen;
          button.setAttribute("aria-label", button.title);
          button.setAttribute("aria-pressed", on ? "true" : "false");
          self.map.invalidateSize();
        });
        var bar = el("div", { className: "leaflet-bar leaflet-control" }, [button]);
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    new Full().addTo(this.map);
  };

  App.prototype.buildTypeFilter = function () {
    var self = this, t = this.t;
    var box = el("fieldset", { className: "mg-types" }, [el("legend", { text: t.types })]);
    box.appendChild(el("div", { className: "mg-allnone" }, [
      el("button", { type: "button", text: t.all, "aria-label": t.types + ": " + t.all,
        onclick: function () { self.filters.tags = self.defaultFilters().tags; self.syncInputs(); self.apply(); } }),
      el("button", { type: "button", text: t.none, "aria-label": t.types + ": " + t.none,
        onclick: function () { self.filters.tags = 0; self.syncInputs(); self.apply(); } }),
    ]));
    this.typeInputs = this.typeChoices().map(function (c) {
      var row = self.checkbox("tags", c);
      box.appendChild(row.label);
      return row.input;
    });
    return box;
  };

  App.prototype.buildStatusFilter = function () {
    var self = this;
    var box = el("fieldset", { className: "mg-statuses" }, [el("legend", { text: this.t.status })]);
    this.statusInputs = this.statusChoices().map(function (c) {
      var row = self.checkbox("status", c);
      box.appendChild(row.label);
      return row.input;
    });
    return box;
  };

  App.prototype.checkbox = function (key, choice) {
    var self = this, bit = choice.bit, tag = choice.tag;
    var input = el("input", { type: "checkbox", checked: true, "data-id": choice.id, "data-bit": String(bit) });
    input.addEventListener("change", function () {
      if (input.checked) self.filters[key] = (self.filters[key] | (1 << bit)) >>> 0;
      else self.filters[key] = (self.filters[key] & ~(1 << bit)) >>> 0;
      self.apply();
    });
    var label = el("label", { className: "mg-check", title: tag ? tag.definition : null }, [
      input,
      tag ? el("span", { className: "mg-swatch", style: "--mg-colour:" + tag.colour }, [
        el("i", { className: "fa-solid fa-" + tag.icon, "aria-hidden": "true" })]) : null,
      el("span", { className: "mg-label", text: choice.label }),
      el("span", { className: "mg-n", text: String(choice.count) }),
    ]);
    return { input: input, label: label };
  };

  App.prototype.syncInputs = function () {
    var f = this.filters;
    this.typeInputs.forEach(function (input) { input.checked = !!((f.tags >>> Number(input.dataset.bit)) & 1); });
    this.statusInputs.forEach(function (input) { input.checked = !!((f.status >>> Number(input.dataset.bit)) & 1); });
    if (this.fromInput) {
      this.fromInput.value = String(f.from); this.toInput.value = String(f.to);
      this.fromInput.setAttribute("aria-valuetext", dayToIso(f.from));
      this.toInput.setAttribute("aria-valuetext", dayToIso(f.to));
      this.fromText.textContent = dayToIso(f.from);
      this.toText.textContent = dayToIso(f.to);
      this.histogramBars.forEach(function (bar) {
        bar.node.classList.toggle("mg-out", bar.last < f.from || bar.first > f.to);
      });
    }
  };

  /* ---------- time ---------- */

  App.prototype.buildTimeline = function () {
    var t = this.t, I = this.data.incidents, dps = this.data.date_precisions;
    var box = el("fieldset", { className: "mg-time" }, [el("legend", { text: t.dates })]);
    var undated = 0;
    for (var i = 0; i < this.nInc; i++) if (this.incDay[i] < 0) undated++;
    if (this.maxDay <= this.minDay) {
      if (undated < this.nInc) box.appendChild(el("p", { className: "mg-range", text: dayToIso(this.minDay) }));
    } else {
      box.appendChild(this.buildHistogram(I, dps));
      this.fromText = el("output", { className: "mg-day" });
      this.toText = el("output", { className: "mg-day" });
      this.fromInput = this.slider(t.from);
      this.toInput = this.slider(t.to);
      box.appendChild(el("label", { className: "mg-slider" }, [el("span", { text: t.from }), this.fromInput, this.fromText]));
      box.appendChild(el("label", { className: "mg-slider" }, [el("span", { text: t.to }), this.toInput, this.toText]));
    }
    if (undated) box.appendChild(el("p", { className: "mg-note", text: fmt(t.undated_note, { n: undated }) }));
    return box;
  };

  App.prototype.slider = function (label) {
    var self = this;
    var input = el("input", { type: "range", min: String(this.minDay), max: String(this.maxDay), step: "1",
      "aria-label": label });
    input.addEventListener("input", function () {
      var a = Number(self.fromInput.value), b = Number(self.toInput.value);
      if (a > b) { if (input === self.fromInput) b = a; else a = b; }
      self.filters.from = a; self.filters.to = b;
      self.syncInputs();
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.apply(); }, 60);
    });
    return input;
  };

  // Incidents per day as an SVG bar chart: dark where the day is known,
  // light where the date is only the report date, a week or a month.
  App.prototype.buildHistogram = function (I, dps) {
    var span = this.maxDay - this.minDay + 1, bins = Math.min(span, 120);
    var exact = new Array(bins).fill(0), vague = new Array(bins).fill(0);
    for (var i = 0; i < this.nInc; i++) {
      if (this.incDay[i] < 0) continue;
      var b = Math.floor((this.incDay[i] - this.minDay) * bins / span);
      if (dps[I.date_precision[i]] === "day") exact[b]++; else vague[b]++;
    }
    var peak = 1;
    for (b = 0; b < bins; b++) peak = Math.max(peak, exact[b] + vague[b]);
    var width = 240, height = 36, ns = "http://www.w3.org/2000/svg", barW = width / bins;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "mg-histogram");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", this.t.histogram);
    function rect(x, y, w, h, cls) {
      var r = document.createElementNS(ns, "rect");
      r.setAttribute("x", String(x)); r.setAttribute("y", String(y));
      r.setAttribute("width", String(w)); r.setAttribute("height", String(h));
      r.setAttribute("class", cls);
      return r;
    }
    this.histogramBars = [];
    for (b = 0; b < bins; b++) {
      var total = exact[b] + vague[b];
      if (!total) continue;
      var h = Math.max(3, Math.round(total / peak * height)), hExact = Math.round(h * exact[b] / total);
      var g = document.createElementNS(ns, "g");
      g.appendChild(rect(b * barW, height - h, Math.max(1, barW - 1), h - hExact, "mg-vague"));
      if (hExact) g.appendChild(rect(b * barW, height - hExact, Math.max(1, barW - 1), hExact, "mg-exact"));
      var title = document.createElementNS(ns, "title");
      var first = this.minDay + Math.ceil(b * span / bins), last = this.minDay + Math.ceil((b + 1) * span / bins) - 1;
      title.textContent = (first === last ? dayToIso(first) : dayToIso(first) + " – " + dayToIso(last)) + ": " + total;
      g.appendChild(title);
      svg.appendChild(g);
      this.histogramBars.push({ node: g, first: first, last: last });
    }
    return el("div", { className: "mg-histobox" }, [svg, el("p", { className: "mg-note" }, [
      el("span", { className: "mg-key mg-exact" }), " " + this.t.histogram_exact + " ",
      el("span", { className: "mg-key mg-vague" }), " " + this.t.histogram_vague,
    ])]);
  };

  /* ---------- search ---------- */

  App.prototype.buildSearch = function () {
    var self = this, t = this.t, P = this.data.places;
    var results = el("ul", { className: "mg-results" });
    var status = el("p", { className: "mg-sr", "aria-live": "polite" });
    var input = el("input", { type: "search", className: "mg-search", placeholder: t.search_placeholder,
      "aria-label": t.search, autocomplete: "off", spellcheck: "false" });
    var index = P.name.map(function (name, p) { return fold(name + "\n" + (P.aliases[p] || "")); });
    input.addEventListener("input", function () {
      results.textContent = "";
      status.textContent = "";
      var q = fold(input.value.trim());
      if (!q) return;
      var hits = [];
      for (var p = 0; p < index.length && hits.length < 20; p++) if (index[p].indexOf(q) >= 0) hits.push(p);
      if (!hits.length) { results.appendChild(el("li", { className: "mg-nohit", text: t.no_match })); return; }
      status.textContent = fmt(t.search_hits, { n: hits.length });
      hits.forEach(function (p) {
        var alias = fold(P.name[p]).indexOf(q) >= 0 ? null
          : (P.aliases[p] || "").split("; ").filter(function (a) { return fold(a).indexOf(q) >= 0; })[0];
        results.appendChild(el("li", {}, [el("button", { type: "button", className: "mg-hit", onclick: function () {
          self.focusPlace(p, false);
        } }, [el("span", { className: "mg-hit-name", text: P.name[p] }),
              alias ? el("small", { className: "mg-hit-alias", text: alias }) : null])]));
      });
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { var first = results.querySelector("button"); if (first) first.click(); }
    });
    return el("div", { className: "mg-searchbox", role: "search" }, [input, status, results]);
  };

  /* ---------- legend, sources, side panel ---------- */

  App.prototype.buildLegend = function (open) {
    var t = this.t;
    function item(icon, text) { return el("li", {}, [icon, el("span", { text: text })]); }
    function icon(cls, children) {
      return el("span", { className: "mg-marker mg-legend-icon " + cls, style: "--mg-colour:#555", "aria-hidden": "true" }, children);
    }
    return el("details", { className: "mg-legend", open: open }, [
      el("summary", { text: t.legend }),
      el("ul", {}, [
        item(icon("mg-pin", [el("i", { className: "fa-solid fa-gun" })]), t.legend_exact),
        item(icon("mg-ring", [el("i", { className: "fa-solid fa-gun" })]), t.legend_approx),
        item(icon("mg-ring mg-doubtful", []), t.legend_doubtful),
        item(icon("mg-ring", [el("span", { className: "mg-count", text: "3" })]), t.legend_count),
        item(el("span", { className: "mg-cluster mg-legend-icon", "aria-hidden": "true" }, [el("span", { text: "5" })]), t.legend_cluster),
        item(el("span", { className: "mg-legend-icon mg-legend-icons", "aria-hidden": "true" }, [el("i", { className: "fa-solid fa-fire" })]), t.legend_icons),
      ]),
    ]);
  };

  App.prototype.buildSources = function () {
    var list = el("ul", {}, this.data.sources.map(function (s) { return el("li", { text: s }); }));
    return el("details", { className: "mg-sources" }, [el("summary", { text: this.t.sources + " (" + this.data.sources.length + ")" }), list]);
  };

  App.prototype.renderPanel = function () {
    if (!this.offmapBody) return;
    var P = this.data.places, node = this.offmapBody, shown = 0;
    node.textContent = "";
    node.appendChild(el("p", { className: "mg-note", text: this.t.offmap_note }));
    for (var p = 0; p < this.nPlaces; p++) {
      if (!P.panel[p]) continue;
      var card = this.placeCard(p, "article");
      card.setAttribute("data-index", String(p));
      if (card.querySelector("li")) shown++;
      else card.classList.add("mg-empty");
      node.appendChild(card);
    }
    this.offmapCount.textContent = "(" + shown + ")";
  };

  App.prototype.updateCounts = function () {
    var shownPlaces = 0, mapped = 0, P = this.data.places, shownInc = 0;
    for (var p = 0; p < this.nPlaces; p++) if (!P.panel[p]) { mapped++; if (this.shown[p]) shownPlaces++; }
    for (var i = 0; i < this.nInc; i++) if (this.incidentPasses(i)) shownInc++;
    this.countsNode.textContent = fmt(this.t.visible, { places: shownPlaces, total: mapped, shown: shownInc, all: this.nInc });
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
})(window.mapgen);
