// Tap the map to place the request; or choose a place, which moves the pin there.
// From the keyboard: the arrow keys move the map under a fixed cross, Enter (or the
// button) chooses the point under it. The chosen place is said by name (the server's
// /r/where/), in a live region a screen reader announces.
(function () {
  "use strict";
  const el = document.getElementById("pick-map");
  if (!el || !window.L) return;
  const outline = JSON.parse(document.getElementById("outline").textContent);
  const lon = document.getElementById("lon"), lat = document.getElementById("lat");
  const picked = document.getElementById("picked"), place = document.getElementById("place");
  const centre = document.getElementById("choose-centre");
  const map = L.map(el, { attributionControl: false });
  // The district's tiles if it has a server; its communities and grids, named, always.
  if (window.CivicgridMaps) { CivicgridMaps.base(map, el); CivicgridMaps.outlines(map, el); }
  const streets = L.geoJSON(outline, { style: { color: "#8c1c13", weight: 1, fillOpacity: 0.05 } }).addTo(map);
  if (streets.getLayers().length) map.fitBounds(streets.getBounds()); else map.setView([30.08, 120.05], 11);
  let pin = null, asked = 0;
  function say(text) { picked.textContent = picked.dataset.said.replace("%(place)s", text); }
  function mark(la, lo) {
    if (pin) pin.setLatLng([la, lo]); else pin = L.circleMarker([la, lo], { radius: 8, color: "#c0392b", fillOpacity: 0.9, interactive: false }).addTo(map);
    el.dataset.picked = "1";
  }
  function choose(latlng) {
    lon.value = latlng.lng.toFixed(6); lat.value = latlng.lat.toFixed(6);
    place.value = "";
    mark(latlng.lat, latlng.lng);
    const ask = ++asked;
    delete el.dataset.named;
    fetch(el.dataset.where + "?lon=" + lon.value + "&lat=" + lat.value, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (found) { if (ask === asked) { say(found.name); el.dataset.named = "1"; } })
      .catch(function () { if (ask === asked) say(el.dataset.outside); });
  }
  map.on("click", function (e) { choose(e.latlng); });
  el.addEventListener("keydown", function (e) {
    if (e.target === el && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); choose(map.getCenter()); }
  });
  centre.hidden = false;
  centre.addEventListener("click", function () { choose(map.getCenter()); });
  place.addEventListener("change", function () {
    const o = place.selectedOptions[0];
    if (!o || !o.dataset.lon) return;
    lon.value = ""; lat.value = "";
    mark(parseFloat(o.dataset.lat), parseFloat(o.dataset.lon));
    say(o.textContent);
    map.setView([parseFloat(o.dataset.lat), parseFloat(o.dataset.lon)], 15);
  });
  if (lon.value && lat.value) mark(parseFloat(lat.value), parseFloat(lon.value));
  else if (place.value) { const o = place.selectedOptions[0]; mark(parseFloat(o.dataset.lat), parseFloat(o.dataset.lon)); }
  el.dataset.ready = "1";
})();
