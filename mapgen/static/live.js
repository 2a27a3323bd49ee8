/* mapgen watch: reload the map when places.csv was rebuilt, show build errors as a banner.
 * Injected by `mapgen watch` into the page as served; never part of a built map.html.
 * Asks the local server (long polling) for the build state; errors are shown as text only.
 * Every request carries the run's secret (<meta name="mapgen-token">) as a header: the
 * server answers nothing without it. */
(function () {
  "use strict";
  var script = document.currentScript;
  var mapVersion = Number(script.getAttribute("data-map-version"));
  var tokenMeta = document.querySelector('meta[name="mapgen-token"]');
  var headers = { "X-Mapgen-Token": tokenMeta ? tokenMeta.getAttribute("content") : "" };
  var root = document.documentElement;
  var banner = null;

  function say(kind, title, lines) {
    if (!title) {
      if (banner) banner.remove();
      banner = null;
      root.removeAttribute("data-mapgen-live-banner");
      return;
    }
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "mapgen-live-banner";
      banner.setAttribute("role", "alert");
      document.body.appendChild(banner);
    }
    banner.textContent = "";
    banner.setAttribute("data-kind", kind);
    var head = document.createElement("strong");
    head.textContent = title;
    banner.appendChild(head);
    if (lines && lines.length) {
      var pre = document.createElement("pre");
      pre.textContent = lines.join("\n");
      banner.appendChild(pre);
    }
    root.setAttribute("data-mapgen-live-banner", kind);
  }

  function poll(since) {
    fetch("/__mapgen__/state?since=" + since, { cache: "no-store", credentials: "same-origin", headers: headers })
      .then(function (response) {
        if (response.status === 403) throw new Error("refused");
        return response.json();
      })
      .then(function (state) {
        if (state.stopped) {
          say("stopped", "mapgen watch has stopped; this page no longer updates.", []);
          root.setAttribute("data-mapgen-live", "stopped");
          return;
        }
        if (state.map !== mapVersion) {
          // an edit on its way back (edit.js) is told first, so that the page can say what became of it
          Promise.resolve(window.mapgen && window.mapgen.holdReload).then(function () { location.reload(); });
          return;
        }
        if (state.errors.length) {
          say("error", state.title, state.errors);
        } else {
          say("", "", []);
        }
        root.setAttribute("data-mapgen-live", String(state.state));
        poll(state.state);
      })
      .catch(function (error) {
        if (error && error.message === "refused") {  // another run of mapgen watch: its secret is not ours
          say("lost", "mapgen watch no longer accepts this page (it was restarted?): open the link it printed.", []);
          root.setAttribute("data-mapgen-live", "refused");
          return;
        }
        say("lost", "Lost the connection to mapgen watch; retrying.", []);
        setTimeout(function () { poll(-1); }, 2000);
      });
  }

  poll(-1);
})();
