// The hot-issue board's map: one numbered circle per cluster, sized by heat, over the
// outlines of the user's grids. No tile server needed; a tile layer is added only when
// the district set one.
(function () {
  "use strict";
  const el = document.getElementById("hot-map");
  if (!el || !window.L) return;
  const points = JSON.parse(document.getElementById("hot-points").textContent);
  const map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }
  // Titles are residents' words: given to Leaflet as text, never as HTML.
  function text(s) {
    const span = document.createElement("span");
    span.textContent = s;
    return span;
  }
  const max = Math.max(1, ...points.map(function (p) { return p.heat; }));
  const layers = [];
  points.forEach(function (p) {
    const circle = L.circleMarker([p.lat, p.lon], {
      radius: 8 + 18 * Math.sqrt(p.heat / max), color: "#8c1c13", weight: 2, fillColor: "#c0392b", fillOpacity: 0.45,
    }).bindTooltip(text(p.n + ". " + p.title + " · " + p.heat));
    // A click on the map brings the cluster's card into view.
    circle.on("click", function () { window.location.hash = "hot-" + p.n; });
    const number = L.marker([p.lat, p.lon], {
      icon: L.divIcon({ className: "hot-number", html: String(Number(p.n)), iconSize: [22, 22] }),
      interactive: false, keyboard: false,
    });
    layers.push(circle, number);
  });
  const clusters = layers.length ? L.featureGroup(layers).addTo(map) : null;
  if (clusters) {
    map.fitBounds(clusters.getBounds(), { padding: [40, 40], maxZoom: 15 });
  } else {
    map.setView([30.08, 120.05], 11);
  }
  el.dataset.loaded = String(points.length);

  if (!el.dataset.geojsonUrl) return;
  fetch(el.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      if (!data.features.length) { el.dataset.grids = "0"; return; }
      // Under the clusters: a pane below the overlay pane (400), above tiles (200).
      map.createPane("grids").style.zIndex = 350;
      const grids = L.geoJSON(data, {
        pane: "grids", renderer: L.canvas({ pane: "grids" }), interactive: false,
        style: { color: "#5b6770", weight: 0.8, fillColor: "#ffffff", fillOpacity: 0.6 },
      }).addTo(map);
      // The user's whole area is the frame: where the clusters are within it.
      const frame = grids.getBounds();
      if (clusters) frame.extend(clusters.getBounds());
      map.fitBounds(frame, { padding: [16, 16] });
      el.dataset.grids = String(data.features.length);
      // The communities' names over the grids, so a cluster reads as somewhere.
      if (window.CivicgridMaps) CivicgridMaps.outlines(map, el);
    })
    .catch(function () { el.dataset.grids = "error"; });
})();
