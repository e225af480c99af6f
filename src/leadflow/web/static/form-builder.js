/* The form builder: copy the embed code or page address (buttons with data-copy="<input id>"). */
(function () {
  "use strict";
  function status(id, text) {
    var node = document.querySelector('[data-copy-status="' + id + '"]');
    if (node) { node.textContent = text; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    if (!field) { return; }
    function fallback() {
      field.focus();
      field.select();
      try {
        status(id, document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C to copy.");
      } catch (e) {
        status(id, "Selected: press Ctrl+C to copy.");
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { status(id, "Copied."); }, fallback);
    } else {
      fallback();
    }
  });
}());
