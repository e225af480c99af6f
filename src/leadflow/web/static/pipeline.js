// The pipeline board: drag a card to another column (HTML5 drag and drop), or use its "Move to" menu. Either way
// the card's own form is submitted (htmx, with its CSRF token), the board comes back, the moved card gets the focus
// again and what happened is announced in the live region.
(function () {
  "use strict";

  function outcomeOf(select) {
    var option = select.options[select.selectedIndex];
    return option ? option.getAttribute("data-outcome") : "open";
  }

  function showReason(form) {
    var select = form.querySelector("[data-move-select]");
    if (!select) { return; }
    form.classList.toggle("no-reason", outcomeOf(select) === "open");
  }

  function prepare(root) {
    var forms = root.querySelectorAll(".opp-move");
    for (var i = 0; i < forms.length; i++) { showReason(forms[i]); }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-move-select]")) {
      showReason(event.target.form);
    }
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".opp-card");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-card-id"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    var marked = document.querySelectorAll(".drop-target");
    for (var i = 0; i < marked.length; i++) { marked[i].classList.remove("drop-target"); }
  });
  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-stage]");
    if (!zone || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-stage]");
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-stage]");
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("drop-target");
    var id = event.dataTransfer.getData("text/plain") || (dragged && dragged.getAttribute("data-card-id"));
    var card = id && document.querySelector('.opp-card[data-card-id="' + id + '"]');
    if (!card) { return; }
    var stage = zone.getAttribute("data-drop-stage");
    if (card.getAttribute("data-stage") === stage) { return; }
    var form = card.querySelector(".opp-move");
    var select = form && form.querySelector("[data-move-select]");
    if (!select) { return; }
    select.value = stage;
    showReason(form);
    if (outcomeOf(select) !== "open" && !form.querySelector("select[name=reason]").value) {
      // Won and lost need a reason: the card asks for it instead of posting a move that would be refused.
      var reason = form.querySelector("select[name=reason]");
      announce("Choose a reason to mark “" + card.querySelector(".opp-name").textContent + "” " + outcomeOf(select) +
               ", then press Move.");
      reason.focus();
      return;
    }
    form.requestSubmit();
  });

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) { status.textContent = text; }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var board = document.getElementById("board");
    if (!board || !board.contains(event.target) && event.target !== board) { return; }
    prepare(board);
    var said = board.querySelector("[data-announce]");
    if (said) { announce(said.getAttribute("data-announce")); }
    var moved = board.querySelector(".opp-card.just-moved");
    if (moved) { moved.focus(); }
  });
  // A refused move answers 422 with the board and the reason: show it like any other answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && (event.detail.xhr.status === 422 || event.detail.xhr.status === 404) &&
        event.detail.target && event.detail.target.id === "board") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
})();
