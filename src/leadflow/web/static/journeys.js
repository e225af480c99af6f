// Journeys: a select marked data-autosubmit submits its form when changed; a branch's way shows the inputs of the
// test it uses (something happened, or a condition). Without this script every input stays visible and works.
(function () {
  "use strict";

  function showWay(fieldset) {
    var kind = fieldset.querySelector("[data-way-kind]");
    if (!kind) { return; }
    fieldset.querySelectorAll("[data-show]").forEach(function (part) {
      part.hidden = part.getAttribute("data-show") !== kind.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.requestSubmit(); }
      });
    });
    document.querySelectorAll("[data-way]").forEach(function (fieldset) {
      showWay(fieldset);
      var kind = fieldset.querySelector("[data-way-kind]");
      if (kind) { kind.addEventListener("change", function () { showWay(fieldset); }); }
    });
  });
})();
