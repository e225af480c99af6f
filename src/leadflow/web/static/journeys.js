// Journeys: a select marked data-autosubmit submits its form when changed; a form marked data-confirm asks first; a branch's way shows the inputs of the
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

  // a form marked data-confirm (removing a step) asks first; the answer no sends nothing
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

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
