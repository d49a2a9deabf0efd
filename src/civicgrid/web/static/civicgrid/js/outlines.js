// Our own polygons on a Leaflet map: community and grid outlines with their names, and
// the district's own tile server underneath when one is set. Used by the resident site's
// map and the console's maps; needs nothing from the internet.
//
//   CivicgridMaps.base(map, el)      a tile layer if el.dataset.tileUrl is set
//   CivicgridMaps.outlines(map, el)  the communities from el.dataset.outlinesUrl
//                                    (/api/geo/…/outlines): el.dataset.outlines is the
//                                    number drawn (or "error"); with data-grid-outlines
//                                    on the element, also the grids in view from zoom 15
//                                    (?level=grid&bbox=…): el.dataset.gridOutlines
//
// A district has hundreds of communities and thousands of grids: names are written only
// when few enough are in view to be read, and grids are asked for the view alone.
(function () {
  "use strict";
  const GRIDS_FROM = 15;     // grids' outlines and names from this zoom on
  const MAX_NAMES = 60;      // more names than this in view would be unreadable

  function label(text, level) {
    const span = document.createElement("span");
    span.textContent = text;  // names are data: given to Leaflet as text, never as HTML
    return L.divIcon({ className: "outline-label outline-label-" + level, html: span, iconSize: null });
  }

  function base(map, el) {
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function withQuery(url, params) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + new URLSearchParams(params).toString();
  }

  // Outlines and names of one level, drawn below markers (overlay pane: 400) and above
  // tiles (200); not interactive, so a tap goes through to the map.
  function Level(map, level, style) {
    const renderer = L.svg({ pane: "outlines" });
    const shapes = L.layerGroup().addTo(map);
    const names = L.layerGroup().addTo(map);
    let markers = [];
    function showNames() {
      const view = map.getBounds();
      const seen = markers.filter(function (m) { return view.contains(m.getLatLng()); });
      names.clearLayers();
      if (seen.length <= MAX_NAMES) seen.forEach(function (m) { names.addLayer(m); });
    }
    map.on("moveend", showNames);
    return {
      draw: function (data) {
        shapes.clearLayers();
        markers = [];
        data.features.forEach(function (f) {
          shapes.addLayer(L.geoJSON(f, { pane: "outlines", renderer: renderer, interactive: false, style: style }));
          markers.push(L.marker([f.properties.label[1], f.properties.label[0]], {
            pane: "outline-labels", icon: label(f.properties.name, level), interactive: false, keyboard: false,
          }));
        });
        showNames();
        return data.features.length;
      },
      clear: function () { shapes.clearLayers(); names.clearLayers(); markers = []; },
    };
  }

  function outlines(map, el) {
    const url = el.dataset.outlinesUrl;
    if (!url) return Promise.resolve(null);
    if (!map.getPane("outlines")) map.createPane("outlines").style.zIndex = 350;
    if (!map.getPane("outline-labels")) map.createPane("outline-labels").style.zIndex = 360;
    const grids = Level(map, "grid", { color: "#5b6770", weight: 1, dashArray: "4 3", fill: false });
    const communities = Level(map, "community", { color: "#8c1c13", weight: 2.5, fill: false });
    if (el.dataset.gridOutlines !== undefined) {
      let asked = 0;
      const loadGrids = function () {
        const mine = ++asked;  // only the latest view's answer is drawn
        if (map.getZoom() < GRIDS_FROM) { grids.clear(); el.dataset.gridOutlines = "0"; return; }
        const b = map.getBounds().pad(0.2);
        const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
        getJSON(withQuery(url, { level: "grid", bbox: bbox }))
          .then(function (data) { if (mine === asked) el.dataset.gridOutlines = String(grids.draw(data)); })
          .catch(function () { if (mine === asked) el.dataset.gridOutlines = "error"; });
      };
      map.on("moveend", loadGrids);
      map.whenReady(loadGrids);
    }
    return getJSON(withQuery(url, { level: "community" }))
      .then(function (data) { el.dataset.outlines = String(communities.draw(data)); return data; })
      .catch(function () { el.dataset.outlines = "error"; return null; });
  }

  window.CivicgridMaps = { base: base, outlines: outlines };
})();
