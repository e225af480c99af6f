// The calling screen's keys and claim renewal. The forms work without it: it adds the keys 1-7 (an outcome),
// S (skip) and N (the next lead), the call-back time opened by 3, and renews the claim every minute.
(function () {
  "use strict";

  function typing(element) {
    if (!element) return false;
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    if (element.tagName !== "INPUT") return false;
    return !["radio", "checkbox", "button", "submit", "reset", "hidden"].includes(element.type);
  }

  function ready() {
    var form = document.getElementById("call-form");
    var callback = document.getElementById("callback");
    var when = document.getElementById("callback-at");
    var save = document.getElementById("save-callback");
    var outcomes = document.getElementById("outcomes");

    function openCallback() {
      callback.classList.add("open");
      when.focus();
    }

    if (form) {
      form.classList.add("js");
      var later = document.getElementById("outcome-call_back");
      later.addEventListener("click", function (event) {
        if (!when.value) {  // 3 first asks when
          event.preventDefault();
          openCallback();
        }
      });
      form.querySelectorAll("button.quick").forEach(function (button) {
        button.addEventListener("click", function (event) {
          event.preventDefault();
          when.value = button.dataset.fill;
          when.focus();
        });
      });
      form.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && event.target === when) {
          event.preventDefault();
          if (when.value) form.requestSubmit(save);
        } else if (event.key === "Enter" && event.target.tagName === "INPUT" && typing(event.target)) {
          event.preventDefault();  // Enter in an answer never records an outcome by surprise
        } else if (event.key === "Escape" && typing(event.target)) {
          event.preventDefault();
          if (event.target === when) callback.classList.remove("open");
          (outcomes.querySelector("button") || document.body).focus();
        }
      });
      var firstError = form.querySelector("[aria-invalid='true'], .question .field-error");
      if (firstError && firstError.tagName === "INPUT") {
        firstError.focus();
      } else if (callback.classList.contains("open")) {
        when.focus();
      } else {
        var dial = document.querySelector(".dial-link");
        (dial || outcomes.querySelector("button")).focus();
      }
      renew(form);
    } else {
      var next = document.getElementById("next-lead") || document.getElementById("try-again");
      if (next) next.focus();
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      var key = event.key.toLowerCase();
      var target = document.querySelector("[data-key='" + key + "']");
      if (!target) return;
      event.preventDefault();
      target.click();
    });
  }

  function renew(form) {
    var seconds = parseInt(form.dataset.renewSeconds, 10) || 60;
    var token = form.querySelector("input[name='csrf_token']").value;
    var lead = form.querySelector("input[name='lead_id']").value;
    var lost = document.getElementById("renew-lost");
    var timer = window.setInterval(function () {
      var body = new URLSearchParams({lead_id: lead, csrf_token: token});
      fetch(form.dataset.renew, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"X-CSRF-Token": token, "Accept": "application/json"}})
        .then(function (response) {
          if (response.status === 409 || response.status === 404) {
            window.clearInterval(timer);
            lost.textContent = "You no longer hold this lead (the claim lapsed or a manager released it): " +
              "record nothing more and open the next lead.";
            lost.hidden = false;
          }
        })
        .catch(function () { /* offline for a moment: the next minute tries again */ });
    }, seconds * 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
