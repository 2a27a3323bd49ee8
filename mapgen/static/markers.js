/* mapgen markers: a place's marker (a pin for an exact spot, a ring for an
 * approximate one, with the symbol of its most severe incident type, its count,
 * "?" when nothing there is confirmed, and its name beside it where there is
 * room), a cluster's bubble, and the accessible names of both. map.js decides
 * which are drawn and where.
 */
(function (mapgen) {
  "use strict";

  var App = mapgen.App, core = mapgen.core, ICON = mapgen.ICON, PIN = mapgen.PIN;

  // A div icon whose focusable element carries an accessible name (markers are
  // reachable with Tab; Enter opens the popup or zooms into a cluster).
  var LabelledIcon = L.DivIcon.extend({
    createIcon: function (oldIcon) {
      var div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
      if (this.options.label) div.setAttribute("aria-label", this.options.label);
      div.setAttribute("role", "button");
      return div;
    },
  });

  App.prototype.placeMarker = function (p, latlng, label, id) {
    var self = this, P = this.data.places;
    var marker = L.marker(latlng, { icon: this.iconFor(p, label), keyboard: true, riseOnHover: true }).addTo(this.map);
    marker.mgPlace = p;
    marker.mgId = id;
    marker.bindPopup(function () { return self.placeCard(p, "div"); }, this.popupOptions());
    if (!label) marker.bindTooltip(P.name[p], { direction: "top" }); // a name not beside it shows on hover
    if (this.onMarker) this.onMarker(marker, p); // editing on the map (edit.js) makes it draggable
    return marker;
  };

  // Place the name of a drawn marker anew, keeping the marker (its popup is open, and stays so).
  App.prototype.rename = function (marker, p, label, id) {
    var node = marker.getElement(), spot = node && node.querySelector(".mg-spot");
    if (!spot) return;
    var name = spot.querySelector(".mg-name");
    if (name) spot.removeChild(name);
    if (label) spot.appendChild(this.nameTag(p, label));
    node.classList.toggle("mg-labelled", !!label);
    marker.unbindTooltip();
    if (!label) marker.bindTooltip(this.data.places.name[p], { direction: "top" });
    marker.options.icon = this.iconFor(p, label); // what Leaflet would draw it with again
    marker.mgId = id;
  };

  // Which of two places gets the better spot: more incidents, then an exact position.
  App.prototype.importance = function (p) {
    return this.model.count(p) + (this.data.places.precision[p] === 0 ? 0.5 : 0);
  };

  // Where each place's name goes beside its marker, if anywhere (names never overlap).
  App.prototype.layoutLabels = function (points, where) {
    var P = this.data.places, size = this.map.getSize(), self = this;
    var origin = this.map.containerPointToLayerPoint([0, 0]);
    var context = (this.measure = this.measure || document.createElement("canvas").getContext("2d"));
    context.font = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    var items = points.map(function (pt, j) {
      var forms = core.nameForms(P.name[pt.p]);
      return { x: where[j].x, y: where[j].y, h: 18, r: ICON / 2 + 1, priority: self.importance(pt.p), forms: forms,
               widths: forms.map(function (f) { return Math.ceil(context.measureText(f).width) + 10; }) };
    });
    // the panels and buttons over the map
    var root = this.map.getContainer(), frame = root.getBoundingClientRect(), obstacles = [];
    [].forEach.call(root.querySelectorAll(".leaflet-control"), function (node) {
      var r = node.getBoundingClientRect();
      if (!r.width) return;
      obstacles.push({ x0: origin.x + r.left - frame.left - 4, y0: origin.y + r.top - frame.top - 4,
                       x1: origin.x + r.right - frame.left + 4, y1: origin.y + r.bottom - frame.top + 4 });
    });
    var placed = core.placeLabels(items, { x0: origin.x, y0: origin.y, x1: origin.x + size.x, y1: origin.y + size.y },
                                  6, obstacles);
    return placed.map(function (label, j) {
      if (!label) return null;
      // the name's box relative to the icon's top left corner (the marker's head is ICON wide)
      return { side: label.side, text: items[j].forms[label.form], full: label.form === 0,
               left: label.box.x0 - (where[j].x - ICON / 2), top: label.box.y0 - (where[j].y - ICON / 2) };
    });
  };

  App.prototype.clusterMarker = function (c, zoom) {
    var self = this;
    var marker = L.marker(c.latlng, { keyboard: true, icon: new LabelledIcon({
      html: mapgen.el("div", { className: "mg-cluster" }, [mapgen.el("span", { text: String(c.n) })]),
      className: "mg-icon mg-cluster-icon", iconSize: [36, 36], label: core.fmt(this.t.cluster_label, { n: c.n }),
    }) });
    marker.on("click", function () { self.expand(c, zoom); }); // Leaflet turns Enter into a click
    marker.on("add", function () {
      L.DomEvent.on(marker.getElement(), "keydown", function (ev) { if (ev.key === " ") { L.DomEvent.preventDefault(ev); self.expand(c, zoom); } });
    });
    return marker;
  };

  // Zoom into a cluster until its places show.
  App.prototype.expand = function (c, zoom) {
    var self = this;
    this.ask({ type: "expand", cluster: c.id, zoom: Math.floor(zoom) }).then(function (answer) {
      var b = answer.bbox, bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      var next = Math.min(self.map.getBoundsZoom(bounds.pad(0.1)), self.map.getMaxZoom());
      self.map.setView(bounds.getCenter(), Math.max(next, Math.floor(zoom) + 1));
    });
  };

  App.prototype.dominantTag = function (p) {
    var best = -1, bestSeverity = -1, tax = this.data.taxonomy, m = this.model;
    for (var i = m.start[p]; i < m.start[p + 1]; i++) {
      for (var k = 0; k < tax.length; k++) {
        if ((m.mask[i] >>> k) & 1 && tax[k].severity > bestSeverity) { best = k; bestSeverity = tax[k].severity; }
      }
    }
    return best;
  };

  App.prototype.markerColour = function (p) {
    var k = this.dominantTag(p);
    return k >= 0 ? this.data.taxonomy[k].colour : "#555";
  };

  var DOUBTFUL = ["unverified", "disputed", "candidate"];

  // "?" when every incident there is in doubt (unverified, disputed or not yet reviewed)
  App.prototype.doubtful = function (p) {
    var m = this.model, statuses = this.data.statuses;
    for (var i = m.start[p]; i < m.start[p + 1]; i++) if (DOUBTFUL.indexOf(statuses[m.status[i]]) < 0) return false;
    return true;
  };

  // The accessible name says what the marker shows: name, incidents, how precisely known, doubt.
  App.prototype.markerLabel = function (p) {
    var n = this.model.count(p), t = this.t, P = this.data.places;
    var parts = [core.fmt(n === 1 ? t.marker_label_one : t.marker_label, { name: P.name[p], n: n })];
    var precision = this.data.precisions[P.precision[p]];
    if (precision !== "exact") parts.push(t["marker_" + precision]);
    if (this.doubtful(p)) parts.push(t.marker_doubtful);
    return parts.join(", ");
  };

  // The name beside a marker; screen readers hear the marker's own name instead.
  App.prototype.nameTag = function (p, label) {
    return mapgen.el("span", { className: "mg-name", "aria-hidden": "true", text: label.text,
      title: label.full ? null : this.data.places.name[p],
      style: "left:" + Math.round(label.left) + "px;top:" + Math.round(label.top) + "px" });
  };

  App.prototype.iconFor = function (p, label) {
    var k = this.dominantTag(p), tag = k >= 0 ? this.data.taxonomy[k] : null, el = mapgen.el;
    var exact = this.data.places.precision[p] === 0, n = this.model.count(p);
    var box = el("div", {
      className: "mg-marker " + (exact ? "mg-pin" : "mg-ring") + (this.doubtful(p) ? " mg-doubtful" : ""),
      style: "--mg-colour:" + (tag ? tag.colour : "#555"),
    }, [
      el("i", { className: "fa-solid fa-" + (tag ? tag.icon : "circle-info"), "aria-hidden": "true" }),
      n > 1 ? el("span", { className: "mg-count", "aria-hidden": "true", text: String(n) }) : null,
    ]);
    var html = el("div", { className: "mg-spot" }, [box]);
    if (label) html.appendChild(this.nameTag(p, label));
    var lift = exact ? PIN : 0;
    return new LabelledIcon({ html: html, className: "mg-icon" + (label ? " mg-labelled" : ""), label: this.markerLabel(p),
      iconSize: [ICON, ICON + lift], iconAnchor: [ICON / 2, ICON / 2 + lift], popupAnchor: [0, -ICON / 2 - lift + 2],
      tooltipAnchor: [0, -ICON / 2 - lift] });
  };
})(window.mapgen);
