// Small behaviours of every console page, wired by data- attributes: the pages carry
// no inline script or inline event handler (the Content-Security-Policy allows none).
(function () {
  "use strict";
  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    // <button data-locate-lon="lon" data-locate-lat="lat">: the device's position
    // into the inputs with those ids.
    const locate = event.target.closest("[data-locate-lon]");
    if (locate && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById(locate.dataset.locateLon).value = p.coords.longitude.toFixed(6);
        document.getElementById(locate.dataset.locateLat).value = p.coords.latitude.toFixed(6);
      });
    }
    // <a href="/" data-history-back>: back where the person came from, if anywhere.
    const back = event.target.closest("a[data-history-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
