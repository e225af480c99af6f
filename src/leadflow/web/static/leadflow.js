// Every page: what the server answered to an htmx request is shown where the person asked.
// - A refusal with reasons (422) comes back as HTML with the fields marked: it is swapped in like a success.
// - Any other error (a JSON API's {"errors": [{"field", "reason"}]}, an error page, a server error, no network)
//   is written into the form's error area (made on first use), and cleared when the form is sent again.
(function () {
  "use strict";

  function isHtml(xhr) {
    return (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
  }

  function reasonsOf(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      try {
        var errors = (JSON.parse(xhr.responseText) || {}).errors || [];
        return errors.map(function (e) {
          return (e.field && e.field !== "body" && e.field !== "server" ? e.field + ": " : "") + (e.reason || "");
        }).filter(Boolean);
      } catch (ignored) {
        return [];
      }
    }
    if (isHtml(xhr)) {  // an error page: its heading and message
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var heading = page.querySelector("main h1");
      var message = heading && heading.nextElementSibling;
      return [heading ? heading.textContent.trim() + (message ? ": " + message.textContent.trim() : "") : ""]
        .filter(Boolean);
    }
    return [];
  }

  function areaFor(elt) {
    var form = elt.closest ? elt.closest("form") : null;
    var home = form || elt;
    var box = home.querySelector ? home.querySelector("[data-request-error]") : null;
    if (box) { return box; }
    box = document.createElement("div");
    box.className = "request-error";
    box.setAttribute("role", "alert");
    box.setAttribute("data-request-error", "");
    if (form || !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(elt.tagName)) {
      home.insertBefore(box, home.firstChild);
    } else {
      elt.parentNode.insertBefore(box, elt.nextSibling);
    }
    return box;
  }

  function show(elt, title, lines) {
    var box = areaFor(elt);
    box.textContent = "";
    var head = document.createElement("strong");
    head.textContent = title;
    box.appendChild(head);
    if (lines.length) {
      var list = document.createElement("ul");
      lines.forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 422 && isHtml(xhr)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    var box = (form || event.detail.elt).querySelector ? (form || event.detail.elt).querySelector("[data-request-error]") : null;
    if (box) { box.remove(); }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var title = xhr.status >= 500 ? "Not done: the server failed (it has been logged). Try again in a moment."
      : xhr.status === 403 ? "Not allowed."
      : xhr.status === 404 ? "Not found: it may have been removed, or it is not yours to see."
      : xhr.status === 409 ? "Not done: it changed meanwhile."
      : "Not done.";
    show(event.detail.elt, title, xhr.status >= 500 ? [] : reasonsOf(xhr));
  });

  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail.elt, "Not sent: the server cannot be reached. Check the connection and try again.", []);
  });
})();
