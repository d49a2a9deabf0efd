// A case's place: its grid's outline and the reported point. No tile server needed.
(function () {
  "use strict";
  const el = document.getElementById("case-map");
  const data = JSON.parse(document.getElementById("case-map-data").textContent);
  if (!el || !window.L) return;
  const map = L.map(el, { attributionControl: false });
  // The district's tiles if it has a server; the communities and grids around, named.
  if (window.CivicgridMaps) { CivicgridMaps.base(map, el); CivicgridMaps.outlines(map, el); }
  const layers = [];
  if (data.grid) layers.push(L.geoJSON(data.grid, { style: { color: "#8c1c13", weight: 2, fillOpacity: 0.1 } }));
  if (data.point) layers.push(L.circleMarker([data.point[1], data.point[0]], { radius: 7, color: "#c0392b", fillOpacity: 0.9 }));
  if (!layers.length) { el.classList.add("empty"); el.dataset.loaded = "0"; return; }
  const group = L.featureGroup(layers).addTo(map);
  map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 17 });
  el.dataset.loaded = String(layers.length);
})();
