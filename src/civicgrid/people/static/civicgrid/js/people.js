// Check in with the phone's location: fill the form's lon/lat from the browser, then send.
(function () {
  "use strict";
  var status = document.getElementById("geo-status");
  document.querySelectorAll("form[data-check-in]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.elements.lon.value && form.elements.lat.value) return;
      event.preventDefault();
      if (!navigator.geolocation) {
        status.textContent = status.dataset.noGeo || "";
        return;
      }
      status.textContent = form.dataset.locating || "";
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          form.elements.lon.value = pos.coords.longitude.toFixed(6);
          form.elements.lat.value = pos.coords.latitude.toFixed(6);
          form.submit();
        },
        function () {
          status.textContent = status.dataset.denied || "";
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });
})();
