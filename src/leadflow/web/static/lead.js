// The lead page, possible duplicates and quick entry.
(function () {
  "use strict";

  // One change, every panel that shows it: a panel that changed the lead answers with the event "lead-changed"
  // (naming itself); every other panel of the page then reloads from its own address. A section being edited
  // is left alone, so nobody loses what they are typing.
  document.addEventListener("lead-changed", function (event) {
    var from = event.detail && event.detail.panel;
    var panels = document.querySelectorAll("[data-lead-panel]");
    for (var i = 0; i < panels.length; i++) {
      if (panels[i].getAttribute("data-lead-panel") !== from) { htmx.trigger(panels[i], "lead-refresh"); }
    }
  });
})();
