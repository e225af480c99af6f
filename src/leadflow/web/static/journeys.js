// Journeys: a select marked data-autosubmit submits its form when changed; a form marked data-confirm asks first; a
// flow wider than its box says it scrolls sideways; a branch's way shows the inputs of the test it uses (something
// happened, or a condition). Without this script every input stays visible and works.
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

  // the hint above a flow wider than its box ("scroll sideways"), shown only while it is
  function hintWideFlows() {
    document.querySelectorAll("[data-flow-hint]").forEach(function (hint) {
      var flow = hint.nextElementSibling;
      if (flow) { hint.hidden = flow.scrollWidth <= flow.clientWidth + 1; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    hintWideFlows();
    window.addEventListener("resize", hintWideFlows);
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
