/* leadflow form embed: <script src="https://leadflow.example/f/SLUG/embed.js" async></script> */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.fetch || !window.URLSearchParams) { return; }
  var src = new URL(script.src, location.href);
  var match = src.pathname.match(/^(.*)\/f\/([^\/]+)\/embed\.js$/);
  if (!match) { return; }
  var base = src.origin + match[1];
  var slug = decodeURIComponent(match[2]);
  var lang = script.getAttribute("data-lang") || src.searchParams.get("lang") || document.documentElement.lang || "";
  var TRACKED = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid"];

  function target() {
    var nodes = document.querySelectorAll("[data-leadflow-form]");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute("data-leadflow-form") === slug && !nodes[i].hasAttribute("data-leadflow-ready")) {
        return nodes[i];
      }
    }
    var box = document.createElement("div");
    box.setAttribute("data-leadflow-form", slug);
    script.parentNode.insertBefore(box, script);
    return box;
  }

  function setHidden(form, name, value) {
    var input = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (input && value && !input.value) { input.value = String(value).slice(0, 2000); }
  }

  function clearErrors(form) {
    var old = form.querySelectorAll(".lf-error, .lf-summary");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.removeChild(old[i]); }
    var invalid = form.querySelectorAll("[aria-invalid]");
    for (var j = 0; j < invalid.length; j++) {
      invalid[j].removeAttribute("aria-invalid");
      var help = invalid[j].id && form.querySelector("#" + invalid[j].id + "-help");
      if (help) { invalid[j].setAttribute("aria-describedby", help.id); } else { invalid[j].removeAttribute("aria-describedby"); }
    }
  }

  function showSummary(form, text) {
    var box = document.createElement("div");
    box.className = "lf-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.textContent = text;
    var title = form.querySelector(".lf-title");
    form.insertBefore(box, title ? title.nextSibling : form.firstChild);
    box.focus();
  }

  function showErrors(form, errors, fallback) {
    var first = null, loose = [];
    for (var i = 0; i < errors.length; i++) {
      var error = errors[i];
      var input = form.elements.namedItem(error.field);
      if (!input || !input.id) { loose.push(error.message || error.reason); continue; }
      var note = document.createElement("p");
      note.className = "lf-error";
      note.id = input.id + "-error";
      note.textContent = error.message || error.reason;
      input.closest("[data-lf-field]").appendChild(note);
      input.setAttribute("aria-invalid", "true");
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", note.id + (described ? " " + described : ""));
      if (!first) { first = input; }
    }
    if (loose.length || !first) { showSummary(form, loose.join(" ") || fallback); }
    else { first.focus(); }
  }

  function thank(form, message) {
    var box = document.createElement("div");
    box.className = "lf-form";
    var text = document.createElement("p");
    text.className = "lf-thanks";
    text.setAttribute("role", "status");
    text.setAttribute("tabindex", "-1");
    text.textContent = message;
    box.appendChild(text);
    form.parentNode.replaceChild(box, form);
    text.focus();
  }

  function wire(form, failed) {
    var query = new URLSearchParams(location.search);
    for (var i = 0; i < TRACKED.length; i++) { setHidden(form, TRACKED[i], query.get(TRACKED[i])); }
    setHidden(form, "referrer", document.referrer);
    setHidden(form, "landing_page", location.href);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      clearErrors(form);
      var data = new FormData(form), visitor = document.cookie.match(/(?:^|;\s*)lf_vid=([A-Za-z0-9_-]{8,64})/);
      if (visitor && !data.get("lf_vid")) { data.set("lf_vid", visitor[1]); }  /* /t/lf.js's visitor */
      fetch(form.action, {
        method: "POST", mode: "cors", credentials: "omit", headers: {"Accept": "application/json"},
        body: new URLSearchParams(data)
      }).then(function (response) {
        return response.json().catch(function () { return {}; });
      }).then(function (body) {
        if (button) { button.disabled = false; }
        if (body.ok) {
          if (body.redirect_url) { window.location.assign(body.redirect_url); } else { thank(form, body.message); }
        } else {
          showErrors(form, body.errors || [], body.message || failed);
        }
      }).catch(function () {
        if (button) { button.disabled = false; }
        showSummary(form, failed);
      });
    });
  }

  var box = target();
  box.setAttribute("data-leadflow-ready", "");
  var url = base + "/f/" + encodeURIComponent(slug) + "/definition" + (lang ? "?lang=" + encodeURIComponent(lang) : "");
  fetch(url, {mode: "cors", credentials: "omit", headers: {"Accept": "application/json"}})
    .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
    .then(function (definition) {
      box.innerHTML = definition.html;
      var form = box.querySelector("form");
      if (form) { wire(form, definition.failed_message); }
    })
    .catch(function () { box.removeAttribute("data-leadflow-ready"); });
})();
