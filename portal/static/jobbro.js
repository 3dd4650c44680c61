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
    occupationSuggestions();
  }

  // Vacancy form: occupation suggestions update while the title is typed. Without JavaScript
  // the "Find stillingsbetegnelse" button asks the server for the same list.
  var SUGGEST_DELAY_MS = 250;

  function occupationSuggestions() {
    var group = document.querySelector(".jb-occupation[data-suggest-url]");
    var title = document.getElementById("title");
    var options = document.getElementById("occupation-options");
    var status = document.getElementById("occupation-status");
    if (!group || !title || !options || !status || !window.fetch) {
      return;
    }
    var url = group.getAttribute("data-suggest-url");
    var timer = null;
    var latest = 0;

    function radio(item, index, checked) {
      var wrapper = document.createElement("div");
      wrapper.className = "form-group-radio";
      var input = document.createElement("input");
      input.type = "radio";
      input.className = "form-radio";
      input.name = "esco_uri";
      input.value = item.uri;
      input.id = "esco_uri-s" + index;
      input.checked = checked;
      var label = document.createElement("label");
      label.className = "form-label";
      label.htmlFor = input.id;
      label.textContent = item.isco_code ? item.label + " (ISCO " + item.isco_code + ")" : item.label;
      wrapper.appendChild(input);
      wrapper.appendChild(document.createTextNode(" "));
      wrapper.appendChild(label);
      return wrapper;
    }

    function show(items) {
      // A choice already made stays on the list, first, so typing never loses it.
      var chosen = options.querySelector("input:checked");
      var kept = chosen ? chosen.closest(".form-group-radio") : null;
      var keptUri = chosen ? chosen.value : null;
      while (options.firstChild) {
        options.removeChild(options.firstChild);
      }
      if (kept) {
        options.appendChild(kept);
      }
      var shown = 0;
      items.forEach(function (item, index) {
        if (item.uri !== keptUri) {
          options.appendChild(radio(item, index, false));
          shown += 1;
        }
      });
      status.textContent =
        shown === 1 ? "1 forslag til stillingsbetegnelse." : shown + " forslag til stillingsbetegnelse.";
    }

    function fetchSuggestions() {
      var text = title.value.trim();
      var request = ++latest;
      if (!text) {
        show([]);
        return;
      }
      fetch(url + "?titel=" + encodeURIComponent(text), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (items) {
          if (request === latest) {
            show(items);
          }
        })
        .catch(function () {
          // The button still works; nothing to announce.
        });
    }

    title.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, SUGGEST_DELAY_MS);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
