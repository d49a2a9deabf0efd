// The hot-issue board's map: one circle per cluster, sized by heat. No tile server needed.
(function () {
  "use strict";
  const el = document.getElementById("hot-map");
  if (!el || !window.L) return;
  const points = JSON.parse(document.getElementById("hot-points").textContent);
  const map = L.map(el, { attributionControl: false });
  const max = Math.max(1, ...points.map(function (p) { return p.heat; }));
  const layers = points.map(function (p) {
    return L.circleMarker([p.lat, p.lon], { radius: 6 + 18 * Math.sqrt(p.heat / max), color: "#8c1c13", fillOpacity: 0.5 })
      .bindTooltip(p.n + ". " + p.title);
  });
  if (!layers.length) { map.setView([30.08, 120.05], 11); el.dataset.loaded = "0"; return; }
  const group = L.featureGroup(layers).addTo(map);
  map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 15 });
  el.dataset.loaded = String(layers.length);
})();
