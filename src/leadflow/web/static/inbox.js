// The inbox: "select all on this page", the count of selected leads, empty filters out of the address.
(function () {
  "use strict";

  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
  }

  function refresh(form) {
    var all = boxes(form);
    var picked = all.filter(function (box) { return box.checked; }).length;
    var counter = form.querySelector("[data-selected-count]");
    if (counter) { counter.textContent = picked ? "(" + picked + " selected)" : ""; }
    var page = form.querySelector("[data-select-page]");
    if (page) {
      page.checked = picked > 0 && picked === all.length;
      page.indeterminate = picked > 0 && picked < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.closest && target.closest("#bulk-form");
    if (!form) { return; }
    if (target.hasAttribute("data-select-page")) {
      boxes(form).forEach(function (box) { box.checked = target.checked; });
    }
    refresh(form);
  });

  // On a tablet or phone the leads come first: the filters fold behind their summary (unless one was refused).
  var filters = document.getElementById("inbox-filter-box");
  if (filters && !filters.hasAttribute("data-keep-open") && window.matchMedia("(max-width: 1024px)").matches) {
    filters.open = false;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    // Empty filters stay out of the address, so it reads like the filters chosen.
    if (event.detail.verb !== "get" || !event.detail.elt.closest || !event.detail.elt.closest(".inbox-search")) { return; }
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") { delete params[name]; }
    });
  });
})();
