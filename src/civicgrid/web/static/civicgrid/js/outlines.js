// Our own polygons on a Leaflet map: community and grid outlines with their names, and
// the district's own tile server underneath when one is set. Used by the resident site's
// map and the console's maps; needs nothing from the internet.
//
//   CivicgridMaps.base(map, el)      a tile layer if el.dataset.tileUrl is set
//   CivicgridMaps.outlines(map, el)  fetches el.dataset.outlinesUrl (GeoJSON from
//                                    /api/geo/…/outlines) and draws it; sets
//                                    el.dataset.outlines to the number drawn (or "error")
(function () {
  "use strict";
  // Grid names appear from this zoom on; community names always.
  const GRID_LABELS_FROM = 15;

  function label(text, level) {
    const span = document.createElement("span");
    span.textContent = text;  // names are data: given to Leaflet as text, never as HTML
    return L.divIcon({ className: "outline-label outline-label-" + level, html: span, iconSize: null });
  }

  function base(map, el) {
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }

  function outlines(map, el, options) {
    const opts = options || {};
    if (!el.dataset.outlinesUrl) return Promise.resolve(null);
    return fetch(el.dataset.outlinesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        // Below markers and the clicked point (overlay pane: 400), above tiles (200);
        // not interactive, so a tap goes through to the map.
        if (!map.getPane("outlines")) map.createPane("outlines").style.zIndex = 350;
        if (!map.getPane("outline-labels")) map.createPane("outline-labels").style.zIndex = 360;
        const renderer = L.svg({ pane: "outlines" });
        const communities = [], grids = [], communityNames = [], gridNames = [];
        data.features.forEach(function (f) {
          const p = f.properties;
          const isGrid = p.level === "grid";
          const shape = L.geoJSON(f, {
            pane: "outlines", renderer: renderer, interactive: false,
            style: isGrid
              ? { color: "#5b6770", weight: 1, dashArray: "4 3", fill: false }
              : { color: "#8c1c13", weight: 2.5, fill: false },
          });
          (isGrid ? grids : communities).push(shape);
          const name = L.marker([p.label[1], p.label[0]], {
            pane: "outline-labels", icon: label(p.name, p.level), interactive: false, keyboard: false,
          });
          (isGrid ? gridNames : communityNames).push(name);
        });
        L.layerGroup(grids).addTo(map);
        L.layerGroup(communities).addTo(map);
        L.layerGroup(communityNames).addTo(map);
        const gridLabels = L.layerGroup(gridNames);
        function showGridLabels() {
          if (map.getZoom() >= (opts.gridLabelsFrom || GRID_LABELS_FROM)) gridLabels.addTo(map);
          else gridLabels.remove();
        }
        map.on("zoomend", showGridLabels);
        showGridLabels();
        el.dataset.outlines = String(data.features.length);
        return data;
      })
      .catch(function () { el.dataset.outlines = "error"; return null; });
  }

  window.CivicgridMaps = { base: base, outlines: outlines };
})();
