// The case sheet's print button (no inline script: the Content-Security-Policy forbids it).
document.getElementById("print-sheet")?.addEventListener("click", () => window.print());
