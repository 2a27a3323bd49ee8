/* mapgen edit: fix the map on the map, saved to places.csv.
 *
 * Added by `mapgen watch` to the page it serves (never to a built map.html).
 * "Edit map" makes markers draggable and adds, to every popup, forms for a
 * place's location and for its incidents; places without coordinates are
 * listed and placed with a click. Every change is sent to the local server
 * (with the run's secret), which writes places.csv through mapgen.edit,
 * checked as `mapgen validate` checks it, and rebuilds the map; live.js then
 * reloads the page, which keeps its view. Undo (and Ctrl+Z) takes edits back.
 */
(function (mapgen) {
  "use strict";

  var core = mapgen.core, el = mapgen.el, fmt = core.fmt;
  var STORE = "mapgen-editing"; // sessionStorage: editing on, and a message to show after the reload

  function meta(name) {
    var node = document.querySelector('meta[name="' + name + '"]');
    return node ? node.getAttribute("content") : "";
  }

  function Editor(app) {
    this.app = app;
    this.token = meta("mapgen-token");
    this.version = meta("mapgen-version");
    this.editing = false;
    this.mode = null; // waiting for a click on the map: {place} or {newPlace: true}
  }

  Editor.prototype.request = function (method, path, body) {
    var self = this;
    return fetch(path, {
      method: method, credentials: "same-origin", cache: "no-store",
      headers: { "X-Mapgen-Token": this.token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, error: response.status + " " + response.statusText }; });
    }).catch(function (error) {
      return { ok: false, error: self.t("edit_offline") + " (" + error + ")" };
    });
  };

  Editor.prototype.t = function (key, values) {
    var text = (this.info && this.info.strings[key]) || this.app.t[key] || key;
    return values ? fmt(text, values) : text;
  };

  Editor.prototype.start = function () {
    var self = this;
    return this.request("GET", "/__mapgen__/edit/info").then(function (info) {
      if (!info.ok) return; // the file has problems: the banner of live.js says which; no editing now
      self.info = info;
      self.buildToggle();
      var stored = {};
      try { stored = JSON.parse(sessionStorage.getItem(STORE) || "{}"); } catch (e) { stored = {}; }
      sessionStorage.removeItem(STORE);
      if (stored.editing) self.setEditing(true);
      if (stored.message) self.say(stored.message, stored.alert);
    });
  };

  /* ---------- the toggle and the toolbar ---------- */

  Editor.prototype.buildToggle = function () {
    var self = this;
    var Toggle = L.Control.extend({ options: { position: "topright" }, onAdd: function () {
      self.toggle = el("button", { type: "button", className: "mg-edit-toggle", "aria-pressed": "false",
        onclick: function () { self.setEditing(!self.editing); } },
        [el("i", { className: "fa-solid fa-pen", "aria-hidden": "true" }), el("span", { text: " " + self.t("edit_map") })]);
      var box = el("div", { className: "leaflet-control mg-edit-box" }, [self.toggle]);
      L.DomEvent.disableClickPropagation(box);
      return box;
    } });
    new Toggle().addTo(this.app.map);
    document.addEventListener("keydown", function (ev) {
      if (!self.editing) return;
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((ev.target || {}).tagName || "");
      if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey && ev.key.toLowerCase() === "z" && !typing) {
        ev.preventDefault();
        self.undo();
      } else if (ev.key === "Escape" && self.mode) {
        self.setMode(null);
      }
    });
  };

  Editor.prototype.setEditing = function (on) {
    var app = this.app, self = this;
    this.editing = on;
    this.toggle.setAttribute("aria-pressed", on ? "true" : "false");
    document.documentElement.classList.toggle("mg-editing", on);
    if (on) {
      this.buildToolbar();
      app.onMarker = function (marker, p) { self.draggable(marker, p); };
      app.onCard = function (card, p) { self.cardTools(card, p); };
      app.onIncidentShown = function (item, i, texts) { self.incidentTools(item, i, texts); };
      Object.keys(app.markers).forEach(function (p) { self.draggable(app.markers[p], Number(p)); });
    } else {
      this.setMode(null);
      if (this.toolbar) this.toolbar.remove();
      this.toolbar = null;
      app.onMarker = app.onCard = app.onIncidentShown = null;
      Object.keys(app.markers).forEach(function (p) { if (app.markers[p].dragging) app.markers[p].dragging.disable(); });
    }
    app.map.closePopup();
  };

  Editor.prototype.buildToolbar = function () {
    var self = this, info = this.info;
    this.statusNode = el("p", { className: "mg-edit-status", role: "status" });
    this.undoButton = el("button", { type: "button", disabled: !info.undo, "aria-keyshortcuts": "Control+Z",
      onclick: function () { self.undo(); } },
      [el("i", { className: "fa-solid fa-rotate-left", "aria-hidden": "true" }), " " + this.t("edit_undo")]);
    var add = el("button", { type: "button", onclick: function () { self.setMode({ newPlace: true }); } },
      [el("i", { className: "fa-solid fa-plus", "aria-hidden": "true" }), " " + this.t("edit_add")]);
    var parts = [el("h2", { text: this.t("edit_toolbar", { file: info.file }) }),
                 el("div", { className: "mg-edit-buttons" }, [this.undoButton, add])];
    if (info.unlocated.length) {
      parts.push(el("details", { className: "mg-unlocated", open: true }, [
        el("summary", { text: this.t("edit_unlocated", { n: info.unlocated.length }) }),
        el("ul", {}, info.unlocated.map(function (u) {
          return el("li", {}, [el("span", { className: "mg-unlocated-name", text: u.place }),
            el("button", { type: "button", "aria-label": self.t("edit_place_it") + ": " + u.place,
              onclick: function () { self.setMode({ place: u.place }); } }, [self.t("edit_place_it")]),
            el("button", { type: "button", "aria-label": self.t("edit_type_it") + ": " + u.place,
              onclick: function () { self.locationForm(u.place, -1, null); } }, [self.t("edit_type_it")])]);
        })),
      ]));
    }
    parts.push(this.statusNode);
    this.toolbar = el("section", { className: "leaflet-control mg-edit-toolbar", "aria-label": this.t("edit_map") }, parts);
    L.DomEvent.disableClickPropagation(this.toolbar);
    L.DomEvent.disableScrollPropagation(this.toolbar);
    // under the Edit map button, where popups keep clear of the map's buttons
    this.toggle.parentNode.parentNode.insertBefore(this.toolbar, this.toggle.parentNode.nextSibling);
  };

  Editor.prototype.say = function (message, alert) {
    if (!this.statusNode) return;
    this.statusNode.setAttribute("role", alert ? "alert" : "status");
    this.statusNode.classList.toggle("mg-edit-alert", !!alert);
    this.statusNode.textContent = message;
  };

  // Waiting for a click on the map: where an unlocated place is, or a new place.
  Editor.prototype.setMode = function (mode) {
    var map = this.app.map, self = this;
    if (this.onClick) map.off("click", this.onClick);
    this.mode = mode;
    map.getContainer().classList.toggle("mg-picking", !!mode);
    if (!mode) { this.onClick = null; this.say(""); return; }
    this.say(mode.place ? this.t("edit_click_map", { place: mode.place }) : this.t("edit_click_new"));
    this.onClick = function (ev) {
      var lat = ev.latlng.lat, lon = L.Util.wrapNum(ev.latlng.lng, [-180, 180], true);
      self.setMode(null);
      if (mode.place) self.send({ op: "set_location", place: mode.place, lat: round(lat), lon: round(lon) });
      else self.incidentForm(null, { lat: round(lat), lon: round(lon) });
    };
    map.on("click", this.onClick);
  };

  function round(value) { return Number(value.toFixed(5)); }

  /* ---------- moving a marker ---------- */

  Editor.prototype.draggable = function (marker, p) {
    var self = this;
    if (!marker.dragging) return;
    marker.dragging.enable();
    marker.on("dragend", function () {
      var at = marker.getLatLng(), P = self.app.data.places;
      var place = P.name[p], precision = self.app.data.precisions[P.precision[p]];
      var change = { op: "set_location", place: place, lat: round(at.lat), lon: round(L.Util.wrapNum(at.lng, [-180, 180], true)) };
      if (precision === "city" || precision === "country") self.askPrecision(change, precision);
      else self.send(change);
    });
  };

  // A place known only at city or country level asks before it becomes an exact spot.
  Editor.prototype.askPrecision = function (change, precision) {
    var self = this, label = this.choiceLabel("precision", precision);
    this.dialog(this.t("edit_exact_title"), [
      el("p", { text: this.t("edit_exact_ask", { place: change.place, precision: label }) }),
    ], [
      [this.t("edit_make", { precision: this.choiceLabel("precision", "exact") }), function () {
        self.send(Object.assign({ precision: "exact", confirm_exact: true }, change));
      }],
      [this.t("edit_make", { precision: this.choiceLabel("precision", "approximate") }), function () {
        self.send(Object.assign({ precision: "approximate" }, change));
      }],
      [this.t("edit_keep", { precision: label }), function () { self.send(change); }],
      [this.t("edit_cancel"), function () { self.putBack(); }],
    ]);
  };

  Editor.prototype.choiceLabel = function (kind, id) {
    var found = this.info.choices[kind].filter(function (c) { return c.id === id; })[0];
    return found ? found.label : id;
  };

  /* ---------- popups: the place's and the incidents' tools ---------- */

  Editor.prototype.cardTools = function (card, p) {
    var self = this, P = this.app.data.places, place = P.name[p];
    card.appendChild(el("div", { className: "mg-edit-tools" }, [
      el("button", { type: "button", onclick: function () { self.locationForm(place, p, null); } },
        [el("i", { className: "fa-solid fa-location-dot", "aria-hidden": "true" }), " " + this.t("edit_location")]),
      el("button", { type: "button", onclick: function () { self.incidentForm(null, { place: place }); } },
        [el("i", { className: "fa-solid fa-plus", "aria-hidden": "true" }), " " + this.t("edit_add_here")]),
    ]));
  };

  Editor.prototype.incidentTools = function (item, i, texts) {
    var self = this, line = texts.line;
    item.appendChild(el("div", { className: "mg-edit-tools" }, [
      el("button", { type: "button", "aria-label": this.t("edit_incident_line", { line: line }),
        onclick: function () { self.editIncident(line); } }, [this.t("edit_incident")]),
      el("button", { type: "button", "aria-label": this.t("edit_delete_line", { line: line }),
        onclick: function () { self.deleteIncident(line); } }, [this.t("edit_delete")]),
    ]));
  };

  Editor.prototype.editIncident = function (line) {
    var self = this;
    this.request("GET", "/__mapgen__/edit/row?line=" + line + "&version=" + encodeURIComponent(this.version))
      .then(function (answer) {
        if (!answer.ok) { self.refused(answer); return; }
        self.incidentForm(line, answer.cells);
      });
  };

  Editor.prototype.deleteIncident = function (line) {
    var self = this;
    this.dialog(this.t("edit_delete"), [el("p", { text: this.t("edit_delete_ask", { line: line, file: this.info.file }) })], [
      [this.t("edit_delete"), function () { self.send({ op: "delete_incident", line: line }); }],
      [this.t("edit_cancel"), function () {}],
    ]);
  };

  /* ---------- forms ---------- */

  function field(id, label, input, hint) {
    input.id = "mg-edit-" + id;
    input.name = id;
    var error = el("p", { className: "mg-field-error", id: "mg-edit-" + id + "-error" });
    input.setAttribute("aria-describedby", error.id + (hint ? " mg-edit-" + id + "-hint" : ""));
    return el("div", { className: "mg-field", "data-field": id }, [
      el("label", { for: input.id, text: label }), input,
      hint ? el("p", { className: "mg-hint", id: "mg-edit-" + id + "-hint", text: hint }) : null, error,
    ]);
  }

  function select(options, value) {
    return el("select", {}, options.map(function (o) {
      return el("option", { value: o.id, selected: o.id === value, text: o.label });
    }));
  }

  // The location form: typed or pasted coordinates, precision and radius.
  Editor.prototype.locationForm = function (place, p, at) {
    var self = this, P = this.app.data.places;
    var located = p >= 0 && P.lat[p] !== null;
    var lat = el("input", { type: "text", inputmode: "decimal", autocomplete: "off",
      value: at ? at.lat : located ? P.lat[p].toFixed(5) : "" });
    var lon = el("input", { type: "text", inputmode: "decimal", autocomplete: "off",
      value: at ? at.lon : located ? P.lon[p].toFixed(5) : "" });
    var precision = p >= 0 ? this.app.data.precisions[P.precision[p]] : "approximate";
    var precisionBox = select(this.info.choices.precision, precision);
    var radius = el("input", { type: "text", inputmode: "numeric", autocomplete: "off",
      value: p >= 0 && P.radius[p] ? String(P.radius[p]) : "" });
    function pasted(input) { // a pair or a map link in either field fills both
      input.addEventListener("input", function () {
        var pair = core.parseCoordinates(input.value);
        if (pair) { lat.value = String(pair.lat); lon.value = String(pair.lon); }
      });
    }
    pasted(lat);
    pasted(lon);
    this.form(this.t("edit_location_title", { place: place }), [
      field("lat", this.t("edit_latitude"), lat, this.t("edit_paste_hint")),
      field("lon", this.t("edit_longitude"), lon),
      field("precision", this.t("edit_precision"), precisionBox),
      field("radius_m", this.t("edit_radius"), radius),
    ], function () {
      var change = { op: "set_location", place: place, lat: lat.value.trim(), lon: lon.value.trim(),
                     precision: precisionBox.value };
      if (radius.value.trim()) change.radius_m = radius.value.trim();
      if (precisionBox.value === "exact" && (precision === "city" || precision === "country")) change.confirm_exact = true;
      return change;
    });
  };

  // The incident form: every column of an incident; `line` is the row changed, or null for a new one.
  Editor.prototype.incidentForm = function (line, cells) {
    var self = this, info = this.info, newPlace = line === null && cells.lat !== undefined;
    var inputs = {}, parts = [];
    function text(id, label, value, hint, area) {
      inputs[id] = el(area ? "textarea" : "input", area ? { rows: "3" } : { type: "text", autocomplete: "off" });
      inputs[id].value = value || "";
      parts.push(field(id, label, inputs[id], hint));
    }
    text("place", this.t("edit_place"), cells.place);
    if (newPlace) {
      text("lat", this.t("edit_latitude"), String(cells.lat));
      text("lon", this.t("edit_longitude"), String(cells.lon));
      inputs.precision = select(info.choices.precision, "approximate");
      parts.push(field("precision", this.t("edit_precision"), inputs.precision));
    }
    var chosen = String(cells.incidents || "").toLowerCase().split(";").map(function (s) { return s.trim(); });
    var types = el("fieldset", { className: "mg-field mg-edit-types", "data-field": "incidents",
      "aria-describedby": "mg-edit-incidents-error" }, [el("legend", { text: this.t("edit_types") })]);
    inputs.incidents = info.taxonomy.map(function (tag) {
      var box = el("input", { type: "checkbox", value: tag.id, checked: chosen.indexOf(tag.id) >= 0 });
      types.appendChild(el("label", { title: tag.definition }, [box, " " + tag.label]));
      return box;
    });
    types.appendChild(el("p", { className: "mg-field-error", id: "mg-edit-incidents-error" }));
    parts.push(types);
    text("date", this.t("edit_date"), cells.date);
    inputs.date_precision = select([{ id: "", label: this.t("edit_default", { value: this.choiceLabel("date_precision", "day") }) }]
      .concat(info.choices.date_precision), (cells.date_precision || "").toLowerCase());
    parts.push(field("date_precision", this.t("edit_date_precision"), inputs.date_precision));
    inputs.status = select(info.choices.status, (cells.status || "reported").toLowerCase());
    parts.push(field("status", this.t("edit_status"), inputs.status));
    text("summary", this.t("edit_summary"), cells.summary, null, true);
    text("source", this.t("edit_source"), cells.source);
    text("url", this.t("edit_url"), cells.url);
    this.form(line === null ? this.t("edit_new_incident") : this.t("edit_change_incident", { line: line }), parts, function () {
      var out = {};
      Object.keys(inputs).forEach(function (id) {
        if (id === "incidents") {
          out.incidents = inputs.incidents.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }).join(";");
        } else out[id] = inputs[id].value.trim();
      });
      return line === null ? { op: "add_incident", cells: out } : { op: "update_incident", line: line, cells: out };
    });
  };

  // A modal form: Save sends what `collect` makes of it; problems come back to their fields.
  Editor.prototype.form = function (title, fields, collect) {
    var self = this;
    var error = el("p", { className: "mg-form-error", role: "alert" });
    var form = el("form", { className: "mg-edit-form", novalidate: true }, fields.concat([error,
      el("div", { className: "mg-edit-buttons" }, [
        el("button", { type: "submit", className: "mg-save", text: this.t("edit_save") }),
        el("button", { type: "button", text: this.t("edit_cancel"), onclick: function () { dialog.close(); } }),
      ])]));
    var dialog = this.dialog(title, [form], null);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      [].forEach.call(form.querySelectorAll(".mg-field-error"), function (node) { node.textContent = ""; });
      [].forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) { node.removeAttribute("aria-invalid"); });
      error.textContent = "";
      var saving = form.querySelector(".mg-save");
      saving.disabled = true;
      self.send(collect(), function (answer) {
        saving.disabled = false;
        if (answer.ok) { dialog.close(); return true; }
        if (answer.reason !== "invalid" && answer.reason !== "confirm") { dialog.close(); return false; }
        // each problem at its field, as `mapgen validate` words it; nothing was written
        var general = [];
        (answer.problems || []).forEach(function (problem) {
          var box = problem.field && form.querySelector('[data-field="' + problem.field + '"]');
          if (!box) { general.push(problem.text || problem.message); return; }
          box.querySelector(".mg-field-error").textContent = problem.message;
          var input = box.querySelector("input, select, textarea");
          if (input) input.setAttribute("aria-invalid", "true");
        });
        error.textContent = [answer.error].concat(general).join(" ");
        var first = form.querySelector("[aria-invalid]");
        if (first) first.focus();
        return true;
      });
    });
    var first = form.querySelector("input, select, textarea");
    if (first) first.focus();
    return dialog;
  };

  // A modal dialog with a title, content and buttons ([label, action]); Escape closes it.
  Editor.prototype.dialog = function (title, content, buttons) {
    var dialog = el("dialog", { className: "mg-edit-dialog", "aria-labelledby": "mg-edit-dialog-title" }, [
      el("h2", { id: "mg-edit-dialog-title", text: title })].concat(content));
    if (buttons) {
      dialog.appendChild(el("div", { className: "mg-edit-buttons" }, buttons.map(function (b) {
        return el("button", { type: "button", text: b[0], onclick: function () { dialog.close(); b[1](); } });
      })));
    }
    dialog.addEventListener("close", function () { dialog.remove(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    return dialog;
  };

  /* ---------- saving ---------- */

  // Send one change; `then(answer)` may handle a refusal itself (return true).
  Editor.prototype.send = function (change, then) {
    var self = this;
    change.version = this.version;
    this.say(this.t("edit_saving"));
    return this.hold(this.request("POST", "/__mapgen__/edit", change).then(function (answer) {
      var handled = then ? then(answer) : false;
      if (answer.ok) self.saved(self.t("edit_saved", { file: self.info.file }), answer.undo);
      else if (!handled) self.refused(answer);
      else self.say(answer.error, true);
      return answer;
    }));
  };

  Editor.prototype.undo = function () {
    var self = this;
    if (this.undoButton && this.undoButton.disabled) return;
    this.say(this.t("edit_saving"));
    this.hold(this.request("POST", "/__mapgen__/undo", {}).then(function (answer) {
      if (answer.ok) self.saved(self.t("edit_undone", { file: self.info.file }), answer.undo);
      else self.refused(answer);
    }));
  };

  // The server rebuilds the map before it answers, and live.js would reload the page at once:
  // it waits for the answer, so that the reloaded page can say what became of the edit.
  Editor.prototype.hold = function (answered) {
    var done = answered.catch(function () {});
    mapgen.holdReload = done;
    return answered;
  };

  // Saved: the server has rebuilt the map; the page reloads with it (live.js) and then says so,
  // with how many edits Undo can still take back (so each save reads differently from the last).
  // Until then it says that it reloads: a reader (or a test) who acts on "Saved" acts on the new map.
  Editor.prototype.saved = function (message, depth) {
    message += " " + (depth > 1 ? this.t("edit_can_undo", { n: depth })
      : depth === 1 ? this.t("edit_can_undo_one") : this.t("edit_cannot_undo"));
    this.say(this.t("edit_reloading"));
    this.version = null;
    sessionStorage.setItem(STORE, JSON.stringify({ editing: true, message: message }));
  };

  Editor.prototype.refused = function (answer) {
    if (answer.reason === "changed") { // the map was rebuilt from the new file: the reloaded page says so
      this.say(this.t("edit_reloading"), true);
      sessionStorage.setItem(STORE, JSON.stringify({ editing: true, message: answer.error, alert: true }));
    } else {
      this.say(answer.error || answer.detail || String(answer.reason), true);
    }
    this.putBack();
  };

  // A marker dragged but not saved goes back to its spot.
  Editor.prototype.putBack = function () {
    var markers = this.app.markers;
    Object.keys(markers).forEach(function (p) { markers[p].mgId = null; }); // drawn anew
    this.app.redraw();
  };

  mapgen.ready.then(function (app) { return new Editor(app).start(); });
})(window.mapgen);
