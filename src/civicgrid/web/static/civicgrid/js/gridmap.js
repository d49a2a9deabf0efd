// The grid map: one unit's grids from the API, drawn with Leaflet.
// No tile server is needed; a tile layer is added only when the district set one.
(function () {
  "use strict";
  const el = document.getElementById("grid-map");
  if (!el || !window.L) return;
  const status = document.getElementById("grid-map-status");
  const map = L.map(el, { preferCanvas: true, attributionControl: false, zoomSnap: 0.25 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }
  // A stable colour per community, so neighbouring communities read apart.
  function colour(key) {
    let h = 2166136261;  // FNV-1a: similar names still land far apart
    for (let i = 0; i < key.length; i++) { h ^= key.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    return "hsl(" + (h % 360) + ", 55%, 58%)";
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((data) => {
      const n = data.features.length;
      if (!n) { status.textContent = el.dataset.emptyText; map.setView([0, 0], 1); return; }
      const layer = L.geoJSON(data, {
        style: (f) => ({ color: "#334", weight: 0.8, fillColor: colour(f.properties.community || ""), fillOpacity: 0.45 }),
        onEachFeature: (f, l) => {
          l.bindTooltip(escapeHtml(f.properties.name) + "<br><small>" + escapeHtml(f.properties.community) + " · " + escapeHtml(f.properties.code) + "</small>", { sticky: true });
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      // The communities' outlines and names over the coloured grids.
      if (window.CivicgridMaps) CivicgridMaps.outlines(map, el);
      el.dataset.loaded = String(n);
      status.textContent = el.dataset.countText.replace("{n}", n);
    })
    .catch(() => { status.textContent = el.dataset.errorText; el.dataset.loaded = "error"; });
})();
