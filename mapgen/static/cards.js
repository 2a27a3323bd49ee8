/* mapgen: what is said about a place, as a popup or a card of the side panel.
 *
 * The incidents' texts (summary, link, carried columns such as fatalities)
 * come from the page (single file) or in chunks from the site's data folder,
 * fetched when a card needs them. Every piece of text from the data is put in
 * the page with textContent or as an attribute, never as HTML.
 */
(function (mapgen) {
  "use strict";

  var core = mapgen.core, fmt = core.fmt;

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
  mapgen.el = el;

  /* ---------- the incidents' texts ---------- */

  // texts.get(i, done): done(texts of incident i), at once when its chunk is here, else once fetched.
  // The incidents' texts, a chunk of spec.chunk incidents at a time: in map.html the lines of
  // <script id="mapgen-texts"> (inline() gives its text), each parsed when first needed; in a
  // site the files spec.base + k + ".json", each fetched when first needed.
  function Texts(spec, inline) {
    this.size = spec.chunk || Infinity; // incidents per chunk
    this.base = spec.base || "";
    this.inline = inline || null;
    this.lines = null; // where each line of the inline texts starts
    this.chunks = {};
    this.waiting = {};
  }

  Texts.prototype.chunkOf = function (i) { return this.size === Infinity ? 0 : Math.floor(i / this.size); };

  Texts.prototype.inlineChunk = function (k) {
    if (!this.lines) {
      this.text = this.inline();
      this.lines = [0];
      for (var at = this.text.indexOf("\n"); at >= 0; at = this.text.indexOf("\n", at + 1)) this.lines.push(at + 1);
      this.lines.push(this.text.length + 1);
    }
    if (k + 1 >= this.lines.length) return { error: "no texts for chunk " + k };
    try {
      return JSON.parse(this.text.slice(this.lines[k], this.lines[k + 1] - 1));
    } catch (error) {
      return { error: String(error) };
    }
  };

  Texts.prototype.get = function (i, done) {
    var k = this.chunkOf(i), chunk = this.chunks[k], self = this;
    if (!chunk && this.inline) chunk = this.chunks[k] = this.inlineChunk(k);
    if (chunk) { done(row(chunk, i - k * (this.size === Infinity ? 0 : this.size))); return; }
    (this.waiting[k] = this.waiting[k] || []).push(function () { self.get(i, done); });
    if (this.waiting[k].length > 1) return;
    fetch(this.base + k + ".json").then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      return r.json();
    }).then(function (json) {
      self.chunks[k] = json;
    }).catch(function (error) {
      self.chunks[k] = { error: String(error) };
    }).then(function () {
      var list = self.waiting[k];
      delete self.waiting[k];
      list.forEach(function (f) { f(); });
    });
  };

  function row(chunk, j) {
    if (chunk.error) return { error: chunk.error };
    var out = {};
    Object.keys(chunk).forEach(function (key) { out[key] = chunk[key][j]; });
    return out;
  }

  mapgen.Texts = Texts;

  /* ---------- cards ---------- */

  var App = mapgen.App;

  App.prototype.precisionText = function (p) {
    var P = this.data.places, name = this.data.precisions[P.precision[p]];
    return fmt(this.t["precision_" + name], { km: Math.round(P.radius[p] / 100) / 10 });
  };

  App.prototype.dateText = function (i) {
    var day = this.model.day[i];
    if (day < 0) return this.t.undated;
    var iso = core.dayToIso(day), note = this.t["dp_" + this.data.date_precisions[this.model.dp[i]]];
    return note ? iso + " (" + note + ")" : iso;
  };

  App.prototype.tagBadges = function (i) {
    var tax = this.data.taxonomy, labels = this.model.tags(i).map(function (k) {
      return el("span", { className: "mg-tag", style: "--mg-colour:" + tax[k].colour, title: tax[k].definition }, [
        el("i", { className: "fa-solid fa-" + tax[k].icon, "aria-hidden": "true" }), " " + tax[k].label,
      ]);
    });
    return labels.length ? labels : [el("span", { className: "mg-tag mg-context", text: this.t.context })];
  };

  // One incident: its types, date, status and source at once; its texts when they are here.
  App.prototype.incidentItem = function (i) {
    var status = this.data.statuses[this.model.status[i]];
    var source = this.data.sources[this.model.source[i]] || "";
    var item = el("li", { className: "mg-incident", "data-status": status, "data-incident": String(i) }, [
      el("div", { className: "mg-tags" }, this.tagBadges(i)),
      el("div", { className: "mg-meta" }, [
        el("span", { className: "mg-date mg-date-" + (this.data.date_precisions[this.model.dp[i]] || "none"),
          text: this.dateText(i) }), " · ",
        el("span", { className: "mg-status mg-status-" + status, text: this.t["status_" + status] || status }),
      ]),
    ]);
    var sourceNode = el("div", { className: "mg-source" }, [this.t.source + ": " + source]);
    if (source) item.appendChild(sourceNode);
    var self = this, pending = el("p", { className: "mg-loading", text: this.t.loading });
    item.appendChild(pending);
    this.texts.get(i, function (texts) {
      pending.remove();
      if (texts.error) { item.appendChild(el("p", { className: "mg-loading", text: self.t.texts_failed })); return; }
      var url = core.safeUrl(texts.url);
      if (texts.summary) {
        var summary = el("p", { className: "mg-summary", text: texts.summary });
        if (texts.fallback) self.untranslated(summary);
        item.insertBefore(summary, source ? sourceNode : null);
      }
      self.data.columns.forEach(function (column) {
        var value = texts[column.name];
        if (value === null || value === undefined || value === "") return;
        item.insertBefore(el("div", { className: "mg-extra mg-extra-" + column.name, text: column.label + ": " + value }),
                          source ? sourceNode : null);
      });
      if (url) {
        var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: source || url });
        if (source) { sourceNode.textContent = self.t.source + ": "; sourceNode.appendChild(link); }
        else item.appendChild(el("div", { className: "mg-source" }, [self.t.source + ": ", link]));
      }
      item.setAttribute("data-line", String(texts.line));
      if (self.onIncidentShown) self.onIncidentShown(item, i, texts);
    });
    return item;
  };

  // A text the data gives only in its own language, on a map in another: said so, for eyes and ears.
  App.prototype.untranslated = function (node) {
    var lang = this.data.meta.data_lang, language = this.t["lang_" + lang] || lang;
    node.setAttribute("lang", lang);
    node.appendChild(document.createTextNode(" "));
    node.appendChild(el("span", { className: "mg-untranslated", lang: document.documentElement.lang || null,
      title: fmt(this.t.fallback_title, { language: language }), text: "(" + language + ")" }));
  };

  var CARD_PAGE = 25; // incidents shown at a time in a card (a busy place of a large map has thousands)

  // The card of place p: its name, how precisely it is known, and its incidents passing the filters.
  App.prototype.placeCard = function (p, tag) {
    var P = this.data.places, m = this.model, passing = [], hidden = 0, self = this;
    for (var i = m.start[p]; i < m.start[p + 1]; i++) {
      if (core.passes(m, this.filters, i)) passing.push(i);
      else hidden++;
    }
    var list = el("ul", { className: "mg-incidents" }), shown = 0;
    var more = el("button", { type: "button", className: "mg-more", onclick: function () { page(); } });
    function page() {
      var end = Math.min(passing.length, shown + CARD_PAGE);
      for (; shown < end; shown++) list.appendChild(self.incidentItem(passing[shown]));
      var left = passing.length - shown;
      if (left > 0) more.textContent = fmt(self.t.list_more, { n: Math.min(CARD_PAGE, left), left: left });
      else more.remove();
    }
    var loc = P.loc[p], heading = el("h3", { className: "mg-place", text: P.name[p], tabindex: "-1" });
    if (P.fallback && P.fallback[p]) this.untranslated(heading);
    var card = el(tag, { className: "mg-card", "data-place": P.name[p] }, [
      heading,
      el("div", { className: "mg-precision mg-precision-" + this.data.precisions[P.precision[p]],
        text: m.located[p] ? this.precisionText(p) : this.t.not_located }),
      P.aliases[p] ? el("div", { className: "mg-aliases", text: this.t.also_known_as + ": " + P.aliases[p] }) : null,
      loc ? el("div", { className: "mg-located", text: this.t.located_by + ": " + (this.t["loc_" + loc] || loc) }) : null,
      list, more,
      hidden ? el("div", { className: "mg-hidden", text: fmt(this.t.hidden_by_filters, { n: hidden }) }) : null,
    ]);
    page();
    if (this.onCard) this.onCard(card, p); // editing on the map (edit.js) adds its buttons
    return card;
  };
})(window.mapgen);
