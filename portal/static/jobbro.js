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
    exportProgress();
    importProgress();
  }

  // Vacancy form: occupation suggestions update while the title is typed. Without JavaScript
  // the "Find stillingsbetegnelse" button asks the server for the same list.
  var SUGGEST_DELAY_MS = 250;

  // Each group names its title input and its radio buttons (data-title-input,
  // data-choice-name; the vacancy form's single group: "title" and "esco_uri"), so a page with
  // several titles (the CV editor's jobs and job goals) gets suggestions for each.
  function occupationSuggestions() {
    var groups = document.querySelectorAll(".jb-occupation[data-suggest-url]");
    Array.prototype.forEach.call(groups, occupationGroup);
  }

  function occupationGroup(group) {
    var title = document.getElementById(group.getAttribute("data-title-input") || "title");
    var options =
      group.querySelector(".jb-occupation-options") || document.getElementById("occupation-options");
    var status =
      group.querySelector(".jb-occupation-status") || document.getElementById("occupation-status");
    var name = group.getAttribute("data-choice-name") || "esco_uri";
    if (!title || !options || !status || !window.fetch) {
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
      input.name = name;
      input.value = item.uri;
      input.id = name + "-s" + index;
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
  // Export status page: follow a queued or running export until it is done or failed.
  // Without JavaScript the "Opdater" link reloads the page.
  var EXPORT_POLL_MS = 1000;
  var EXPORT_MAX_ERRORS = 10;

  function exportProgress() {
    var box = document.getElementById("export");
    var bar = document.getElementById("export-progress");
    if (!box || !bar || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-status-url");
    var errors = 0;

    function field(name) {
      return box.querySelector('[data-export-field="' + name + '"]');
    }

    function active(status) {
      return status === "queued" || status === "running";
    }

    function show(data) {
      bar.value = data.progress;
      bar.textContent = data.progress + " %";
      field("progress").textContent = data.progress + " % færdig";
      var rows = document.querySelector('dd[data-export-field="row_count"]');
      if (rows && data.row_count !== null) {
        rows.textContent = data.row_count.toLocaleString("da-DK");
      }
      // Only a change of status is announced (role=status), not every percent.
      var label = field("status_label");
      if (label.textContent !== data.status_label) {
        label.textContent = data.status_label;
      }
      var download = field("download");
      if (data.download_url) {
        download.href = data.download_url;
        download.hidden = false;
      }
      field("retry").hidden = !data.retry;
      field("refresh").hidden = !active(data.status);
      field("error").hidden = !data.error;
      field("error_text").textContent = data.error || "";
      box.setAttribute("data-status", data.status);
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          errors = 0;
          show(data);
          if (active(data.status) && !data.waiting_for_worker) {
            window.setTimeout(poll, EXPORT_POLL_MS);
          }
        })
        .catch(function () {
          // The "Opdater" link still works; keep trying for a while, a little slower.
          errors += 1;
          if (errors < EXPORT_MAX_ERRORS) {
            window.setTimeout(poll, EXPORT_POLL_MS * (errors + 1));
          }
        });
    }

    if (active(box.getAttribute("data-status"))) {
      window.setTimeout(poll, EXPORT_POLL_MS);
    }
  }

  // Person import page: follow a queued or running import; reload the page when it has run,
  // to show its summary or its errors. Without JavaScript the "Opdater" link reloads.
  function importProgress() {
    var box = document.getElementById("person-import");
    var bar = document.getElementById("import-progress");
    if (!box || !bar || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-status-url");
    var errors = 0;

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          errors = 0;
          if (!data.active) {
            window.location.reload();
            return;
          }
          bar.value = data.progress;
          bar.textContent = data.progress + " %";
          box.querySelector('[data-import-field="progress"]').textContent = data.progress + " % færdig";
          var label = box.querySelector('[data-import-field="status_label"]');
          if (label.textContent !== data.status_label) {
            label.textContent = data.status_label;
          }
          window.setTimeout(poll, EXPORT_POLL_MS);
        })
        .catch(function () {
          errors += 1;
          if (errors < EXPORT_MAX_ERRORS) {
            window.setTimeout(poll, EXPORT_POLL_MS * (errors + 1));
          }
        });
    }

    window.setTimeout(poll, EXPORT_POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
