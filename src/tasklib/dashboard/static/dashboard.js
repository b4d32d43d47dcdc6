// TaskLib dashboard: live figures and confirmations. The pages work without it (no refresh).
// Every [data-live] element with an id is replaced by the same element of a fresh copy of the
// page, every data-refresh seconds, while the tab is visible and no field in it has the focus.
(function () {
  "use strict";
  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }
  function stamp() {
    var span = document.getElementById("refreshed");
    if (span) span.textContent = "(updated " + new Date().toLocaleTimeString() + ")";
  }
  function refresh() {
    var active = document.activeElement;
    if (document.hidden || (active && active.closest && active.closest("[data-live] form, [data-live] input"))) {
      return Promise.resolve();
    }
    return fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (old) {
          var replacement = fresh.getElementById(old.id);
          if (replacement) old.replaceWith(document.importNode(replacement, true));
        });
        stamp();
        var body = fresh.body;
        if (body && !body.hasAttribute("data-refresh")) document.body.removeAttribute("data-refresh");
      })
      .catch(function () { /* the next round tries again */ });
  }
  function loop() {
    var seconds = parseFloat(document.body.getAttribute("data-refresh") || "0");
    if (!(seconds > 0)) return;
    window.setTimeout(function () { refresh().then(loop); }, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    confirmForms();
    stamp();
    loop();
  });
})();
