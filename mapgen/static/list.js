/* mapgen list: every incident that passes the filters, as a table a screen
 * reader and a fact-checker can go through (place, types, date, status,
 * source), sorted by any column; a row's place button shows it on the map.
 * The worker sorts; rows are added a page at a time, so a large map stays quick.
 */
(function (mapgen) {
  "use strict";

  var App = mapgen.App, el = mapgen.el, core = mapgen.core, fmt = core.fmt;
  var PAGE = 500; // rows added at a time

  App.prototype.buildList = function () {
    var self = this;
    this.listButton = el("button", { type: "button", className: "mg-list-button", "aria-expanded": "false",
      "aria-controls": "mg-list", onclick: function () { self.toggleList(); } },
      [el("i", { className: "fa-solid fa-table-list", "aria-hidden": "true" }), el("span", { text: " " + this.t.list })]);
    return this.listButton;
  };

  App.prototype.toggleList = function (open) {
    open = open === undefined ? !this.listNode : open;
    if (!open) {
      if (this.listNode) this.listNode.remove();
      this.listNode = null;
      this.listButton.setAttribute("aria-expanded", "false");
      this.map.off("mapgen:filtered", this.refreshList, this);
      return;
    }
    var t = this.t, self = this;
    this.listSort = this.listSort || { key: "date", descending: false };
    this.listNode = el("section", { id: "mg-list", className: "mg-list", role: "region", "aria-label": t.list_title });
    L.DomEvent.disableClickPropagation(this.listNode);
    L.DomEvent.disableScrollPropagation(this.listNode);
    var close = el("button", { type: "button", className: "mg-list-close", "aria-label": t.close, title: t.close,
      onclick: function () { self.toggleList(false); self.listButton.focus(); } },
      [el("i", { className: "fa-solid fa-xmark", "aria-hidden": "true" })]);
    this.listCaption = el("caption", {});
    this.listBody = el("tbody", {});
    this.listHead = el("tr", {}, core.SORT_KEYS.map(function (key) {
      return el("th", { scope: "col", "data-key": key }, [el("button", { type: "button", onclick: function () {
        var sort = self.listSort;
        self.listSort = { key: key, descending: sort.key === key ? !sort.descending : false };
        self.refreshList();
      } }, [t["list_" + key]])]);
    }));
    this.listMore = el("button", { type: "button", className: "mg-list-more", hidden: true,
      onclick: function () { self.addRows(); } });
    this.listNode.appendChild(el("div", { className: "mg-list-bar" }, [el("h2", { text: t.list_title }), close]));
    this.listNode.appendChild(el("div", { className: "mg-list-scroll" }, [
      el("table", {}, [this.listCaption, el("thead", {}, [this.listHead]), this.listBody]), this.listMore]));
    this.map.getContainer().appendChild(this.listNode);
    this.listButton.setAttribute("aria-expanded", "true");
    this.map.on("mapgen:filtered", this.refreshList, this);
    return this.refreshList();
  };

  App.prototype.refreshList = function () {
    var self = this, sort = this.listSort, filters = Object.assign({}, this.filters);
    return this.ask({ type: "rows", filters: filters, key: sort.key, descending: sort.descending }).then(function (answer) {
      if (!self.listNode) return;
      self.listRows = answer.rows;
      self.listShown = 0;
      self.listBody.textContent = "";
      self.listCaption.textContent = fmt(answer.rows.length === 1 ? self.t.list_count_one : self.t.list_count,
                                         { n: answer.rows.length });
      [].forEach.call(self.listHead.children, function (th) {
        var key = th.getAttribute("data-key");
        if (key === sort.key) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
      self.addRows();
    });
  };

  App.prototype.addRows = function () {
    var m = this.model, P = this.data.places, t = this.t, self = this, rows = this.listRows;
    var end = Math.min(rows.length, this.listShown + PAGE), fragment = document.createDocumentFragment();
    for (var k = this.listShown; k < end; k++) {
      var i = rows[k], p = m.place[i], status = this.data.statuses[m.status[i]];
      var types = m.tags(i).map(function (j) { return self.data.taxonomy[j].label; }).join(", ") || t.context;
      fragment.appendChild(el("tr", { "data-incident": String(i) }, [
        el("td", {}, [el("button", { type: "button", className: "mg-list-place", text: P.name[p],
          onclick: this.showFromList.bind(this, p) })]),
        el("td", { text: types }),
        el("td", { text: this.dateText(i) }),
        el("td", { text: t["status_" + status] || status }),
        el("td", { text: this.data.sources[m.source[i]] || "" }),
      ]));
    }
    this.listBody.appendChild(fragment);
    this.listShown = end;
    var left = rows.length - end;
    this.listMore.hidden = left <= 0;
    this.listMore.textContent = fmt(t.list_more, { n: Math.min(PAGE, left), left: left });
  };

  // A row's place: its popup on the map (or its card beside the map); on a phone the list makes room.
  App.prototype.showFromList = function (p) {
    if (this.isNarrow()) this.toggleList(false);
    this.focusPlace(p, true);
  };
})(window.mapgen);
