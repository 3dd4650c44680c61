// Jobbro portal behaviour. Loaded as a file (the CSP forbids inline scripts).
(function () {
  "use strict";
  function ready() {
    if (window.DKFDS && typeof window.DKFDS.init === "function") {
      window.DKFDS.init();
    }
    // Move focus to the error summary so screen reader users hear what went wrong (WCAG 3.3.1).
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
