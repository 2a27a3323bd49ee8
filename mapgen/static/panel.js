/* mapgen panel: filters by type and status, the date slider with its histogram
 * and Play, search, legend, sources, the side panel of country-wide places and
 * the full-screen button. Loaded after map.js and cards.js.
 *
 * As everywhere, text from the data only ever becomes text nodes or attributes.
 */
(function (mapgen) {
  "use strict";

  var App = mapgen.App, el = mapgen.el, core = mapgen.core, fmt = core.fmt, dayToIso = core.dayToIso;
  var PLAY_STEP_MS = 1000; // one day a second

  function stopMapEvents(node) {
    L.DomEvent.disableClickPropagation(node);
    L.DomEvent.disableScrollPropagation(node);
  }

  // Show or hide the body of a panel, keeping its toggle button's state in step.
  function setCollapsed(panel, button, collapsed, labels) {
    panel.classList.toggle("mg-collapsed", !!collapsed);
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
    var self = this, t = this.t, data = this.data, narrow = this.isNarrow() || !!this.embedded;
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
    if (this.buildList) body.appendChild(this.buildList());
    body.appendChild(this.buildSearch());
    body.appendChild(this.buildTypeFilter());
    body.appendChild(this.buildStatusFilter());
    body.appendChild(this.buildTimeline());
    body.appendChild(el("button", { type: "button", className: "mg-reset", text: t.reset, onclick: function () {
      self.stopPlaying();
      self.filters = core.defaultFilters(self.model); self.syncInputs(); self.apply();
    } }));
    body.appendChild(this.buildLegend(!narrow));
    body.appendChild(this.buildSources());
    this.panelNode.appendChild(body);
    var Panel = L.Control.extend({ options: { position: "topleft" }, onAdd: function () { return self.panelNode; } });
    new Panel().addTo(this.map);
    this.setPanel(narrow);

    var m = this.model, beside = false;
    for (var p = 0; p < m.nPlaces; p++) if (!m.onMap[p]) beside = true;
    if (beside) this.buildOffmap(narrow);
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

  /* ---------- filters ---------- */

  App.prototype.buildTypeFilter = function () {
    var self = this, t = this.t;
    var box = el("fieldset", { className: "mg-types" }, [el("legend", { text: t.types })]);
    box.appendChild(el("div", { className: "mg-allnone" }, [
      el("button", { type: "button", text: t.all, "aria-label": t.types + ": " + t.all,
        onclick: function () { self.filters.tags = core.defaultFilters(self.model).tags; self.syncInputs(); self.apply(); } }),
      el("button", { type: "button", text: t.none, "aria-label": t.types + ": " + t.none,
        onclick: function () { self.filters.tags = 0; self.syncInputs(); self.apply(); } }),
    ]));
    this.typeInputs = core.typeChoices(this.model, t.context).map(function (c) {
      var row = self.checkbox("tags", c);
      box.appendChild(row.label);
      return row.input;
    });
    return box;
  };

  App.prototype.buildStatusFilter = function () {
    var self = this;
    var box = el("fieldset", { className: "mg-statuses" }, [el("legend", { text: this.t.status })]);
    this.statusInputs = core.statusChoices(this.model, this.t).map(function (c) {
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
    var t = this.t, m = this.model, self = this;
    var box = el("fieldset", { className: "mg-time" }, [el("legend", { text: t.dates })]);
    var undated = 0;
    for (var i = 0; i < m.nInc; i++) if (m.day[i] < 0) undated++;
    if (m.maxDay <= m.minDay) {
      if (undated < m.nInc) box.appendChild(el("p", { className: "mg-range", text: dayToIso(m.minDay) }));
    } else {
      box.appendChild(this.buildHistogram());
      this.fromText = el("output", { className: "mg-day" });
      this.toText = el("output", { className: "mg-day" });
      this.fromInput = this.slider(t.from);
      this.toInput = this.slider(t.to);
      box.appendChild(el("label", { className: "mg-slider" }, [el("span", { text: t.from }), this.fromInput, this.fromText]));
      box.appendChild(el("label", { className: "mg-slider" }, [el("span", { text: t.to }), this.toInput, this.toText]));
      this.playButton = el("button", { type: "button", className: "mg-play", "aria-pressed": "false",
        onclick: function () { if (self.playing) self.stopPlaying(); else self.play(); } },
        [el("i", { className: "fa-solid fa-play", "aria-hidden": "true" }), el("span", { text: " " + t.play })]);
      box.appendChild(this.playButton);
    }
    if (undated) box.appendChild(el("p", { className: "mg-note", text: fmt(t.undated_note, { n: undated }) }));
    return box;
  };

  App.prototype.slider = function (label) {
    var self = this;
    var input = el("input", { type: "range", min: String(this.model.minDay), max: String(this.model.maxDay), step: "1",
      "aria-label": label });
    input.addEventListener("input", function () {
      self.stopPlaying();
      var a = Number(self.fromInput.value), b = Number(self.toInput.value);
      if (a > b) { if (input === self.fromInput) b = a; else a = b; }
      self.filters.from = a; self.filters.to = b;
      self.syncInputs();
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.apply(); }, 60);
    });
    return input;
  };

  // Step the date window through the period, a day each second; the map follows.
  App.prototype.play = function () {
    var self = this, days = core.playDays(this.model), k = 0;
    this.playing = true;
    this.setPlayButton(true);
    function step() {
      if (!self.playing) return;
      if (k >= days.length) { self.stopPlaying(); return; }
      self.filters.from = self.filters.to = days[k++];
      self.syncInputs();
      self.apply();
      self.playTimer = setTimeout(step, PLAY_STEP_MS);
    }
    step();
  };

  App.prototype.stopPlaying = function () {
    if (!this.playing) return;
    this.playing = false;
    clearTimeout(this.playTimer);
    this.setPlayButton(false);
  };

  App.prototype.setPlayButton = function (playing) {
    var t = this.t;
    this.playButton.setAttribute("aria-pressed", playing ? "true" : "false");
    this.playButton.querySelector("i").className = "fa-solid fa-" + (playing ? "pause" : "play");
    this.playButton.querySelector("span").textContent = " " + (playing ? t.pause : t.play);
  };

  // Incidents per day as an SVG bar chart: dark where the day is known,
  // light where the date is only the report date, a week or a month.
  App.prototype.buildHistogram = function () {
    var bins = core.histogram(this.model, 120), peak = 1;
    bins.forEach(function (b) { peak = Math.max(peak, b.exact + b.vague); });
    var width = 240, height = 36, ns = "http://www.w3.org/2000/svg", barW = width / bins.length;
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
    bins.forEach(function (bin, b) {
      var total = bin.exact + bin.vague;
      if (!total) return;
      var h = Math.max(3, Math.round(total / peak * height)), hExact = Math.round(h * bin.exact / total);
      var g = document.createElementNS(ns, "g");
      g.appendChild(rect(b * barW, height - h, Math.max(1, barW - 1), h - hExact, "mg-vague"));
      if (hExact) g.appendChild(rect(b * barW, height - hExact, Math.max(1, barW - 1), hExact, "mg-exact"));
      var title = document.createElementNS(ns, "title");
      title.textContent = (bin.first === bin.last ? dayToIso(bin.first) : dayToIso(bin.first) + " – " + dayToIso(bin.last)) + ": " + total;
      g.appendChild(title);
      svg.appendChild(g);
      this.histogramBars.push({ node: g, first: bin.first, last: bin.last });
    }, this);
    return el("div", { className: "mg-histobox" }, [svg, el("p", { className: "mg-note" }, [
      el("span", { className: "mg-key mg-exact" }), " " + this.t.histogram_exact + " ",
      el("span", { className: "mg-key mg-vague" }), " " + this.t.histogram_vague,
    ])]);
  };

  /* ---------- search ---------- */

  App.prototype.buildSearch = function () {
    var self = this, t = this.t, P = this.data.places, asked = 0;
    var results = el("ul", { className: "mg-results" });
    var status = el("p", { className: "mg-sr", "aria-live": "polite" });
    var input = el("input", { type: "search", className: "mg-search", placeholder: t.search_placeholder,
      "aria-label": t.search, autocomplete: "off", spellcheck: "false" });
    input.addEventListener("input", function () {
      var mine = ++asked;
      results.textContent = "";
      status.textContent = "";
      if (!input.value.trim()) return;
      self.ask({ type: "search", text: input.value, limit: 20 }).then(function (answer) {
        if (mine !== asked) return; // the reader typed on
        if (!answer.hits.length) { results.appendChild(el("li", { className: "mg-nohit", text: t.no_match })); return; }
        status.textContent = fmt(t.search_hits, { n: answer.hits.length });
        answer.hits.forEach(function (hit) {
          results.appendChild(el("li", {}, [el("button", { type: "button", className: "mg-hit", onclick: function () {
            self.focusPlace(hit.place, false);
          } }, [el("span", { className: "mg-hit-name", text: P.name[hit.place] }),
                hit.alias ? el("small", { className: "mg-hit-alias", text: hit.alias }) : null])]));
        });
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
        item(el("span", { className: "mg-legend-icon mg-legend-leader", "aria-hidden": "true" }), t.legend_leader),
        item(el("span", { className: "mg-cluster mg-legend-icon", "aria-hidden": "true" }, [el("span", { text: "5" })]), t.legend_cluster),
        item(el("span", { className: "mg-legend-icon mg-legend-icons", "aria-hidden": "true" }, [el("i", { className: "fa-solid fa-fire" })]), t.legend_icons),
      ]),
    ]);
  };

  App.prototype.buildSources = function () {
    var list = el("ul", {}, this.data.sources.filter(Boolean).map(function (s) { return el("li", { text: s }); }));
    return el("details", { className: "mg-sources" }, [
      el("summary", { text: this.t.sources + " (" + list.childNodes.length + ")" }), list]);
  };

  // The cards of the places beside the map (country-wide, far away, not yet located) that pass the filters.
  App.prototype.renderPanel = function () {
    if (!this.offmapBody) return;
    var m = this.model, node = this.offmapBody, shown = 0;
    node.textContent = "";
    node.appendChild(el("p", { className: "mg-note", text: this.t.offmap_note }));
    for (var p = 0; p < m.nPlaces; p++) {
      if (m.onMap[p]) continue;
      if (!this.counts[p]) { // nothing passes the filters: an empty card, its texts not fetched
        node.appendChild(el("article", { className: "mg-card mg-empty", "data-index": String(p) },
                            [el("h3", { text: this.data.places.name[p], tabindex: "-1" })]));
        continue;
      }
      var card = this.placeCard(p, "article");
      card.setAttribute("data-index", String(p));
      shown++;
      node.appendChild(card);
    }
    this.offmapCount.textContent = "(" + shown + ")";
  };

  App.prototype.showCard = function (p) {
    this.setOffmap(false);
    var card = this.offmapBody.querySelector('[data-index="' + p + '"]');
    if (!card) return;
    card.scrollIntoView({ block: "nearest" });
    card.classList.add("mg-flash");
    card.querySelector("h3").focus({ preventScroll: true });
  };

  App.prototype.updateCounts = function () {
    var r = this.totals;
    this.countsNode.textContent = fmt(this.t.visible, { places: r.onMap, total: r.mapped, shown: r.incidents, all: this.model.nInc });
  };
})(window.mapgen);
