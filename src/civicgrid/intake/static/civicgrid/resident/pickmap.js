// Tap the map to place the request; or choose a place, which moves the pin there.
(function () {
  "use strict";
  const el = document.getElementById("pick-map");
  if (!el || !window.L) return;
  const outline = JSON.parse(document.getElementById("outline").textContent);
  const lon = document.getElementById("lon"), lat = document.getElementById("lat");
  const picked = document.getElementById("picked"), place = document.getElementById("place");
  const map = L.map(el, { attributionControl: false });
  // The district's tiles if it has a server; its communities and grids, named, always.
  if (window.CivicgridMaps) { CivicgridMaps.base(map, el); CivicgridMaps.outlines(map, el); }
  const streets = L.geoJSON(outline, { style: { color: "#8c1c13", weight: 1, fillOpacity: 0.05 } }).addTo(map);
  if (streets.getLayers().length) map.fitBounds(streets.getBounds()); else map.setView([30.08, 120.05], 11);
  let pin = null;
  function put(la, lo, label) {
    if (pin) pin.setLatLng([la, lo]); else pin = L.circleMarker([la, lo], { radius: 8, color: "#c0392b", fillOpacity: 0.9 }).addTo(map);
    picked.textContent = label || (lo.toFixed(5) + ", " + la.toFixed(5));
    el.dataset.picked = "1";
  }
  map.on("click", function (e) {
    lon.value = e.latlng.lng.toFixed(6); lat.value = e.latlng.lat.toFixed(6);
    place.value = "";
    put(e.latlng.lat, e.latlng.lng);
  });
  place.addEventListener("change", function () {
    const o = place.selectedOptions[0];
    if (!o || !o.dataset.lon) return;
    lon.value = ""; lat.value = "";
    put(parseFloat(o.dataset.lat), parseFloat(o.dataset.lon), o.textContent);
    map.setView([parseFloat(o.dataset.lat), parseFloat(o.dataset.lon)], 15);
  });
  if (lon.value && lat.value) put(parseFloat(lat.value), parseFloat(lon.value));
  el.dataset.ready = "1";
})();
