// The resident pages' small helpers, all optional (the pages work without them):
// the large-type switch without leaving the page, and the phone field's message.
(function () {
  "use strict";
  const size = document.getElementById("text-size");
  if (size) {
    size.addEventListener("click", function (e) {
      e.preventDefault();
      const large = document.documentElement.classList.toggle("large");
      document.cookie = "civicgrid_text=" + (large ? "large" : "normal") + "; path=/r/; max-age=31536000; SameSite=Lax";
      size.textContent = large ? size.dataset.normalLabel : size.dataset.largeLabel;
      size.href = size.href.replace(/size=(large|normal)/, "size=" + (large ? "normal" : "large"));
    });
  }
  // The server's rule (intake.actions.check_phone): spaces, dashes and +86/0086 removed,
  // 11 digits starting 13-19. Said in Chinese, not the browser's generic sentence.
  const phone = document.getElementById("phone");
  if (phone && phone.dataset.invalid) {
    const check = function () {
      let digits = phone.value.replace(/[\s-]/g, "");
      if (digits.startsWith("+86")) digits = digits.slice(3); else if (digits.startsWith("0086")) digits = digits.slice(4);
      if (!digits) phone.setCustomValidity(phone.dataset.missing);
      else if (!/^1[3-9]\d{9}$/.test(digits)) phone.setCustomValidity(phone.dataset.invalid);
      else phone.setCustomValidity("");
    };
    phone.addEventListener("input", check);
    check();
  }
})();
