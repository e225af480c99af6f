/* leadflow tracking: <script src="https://leads.example/t/lf.js" async></script>
   First-party visitor cookie (lf_vid), page views, tracked clicks, downloads, form submits; batched beacons.
   Sends nothing and sets no cookie under Do Not Track / Global Privacy Control, or while the site says
   window.leadflowConsent = false (then lf("consent", true) starts tracking). A landing from a leadflow email link
   carries lf_t (a short-lived token of the click): it leaves the address bar at once and goes back with the first
   beacon, so this visitor becomes the person who clicked. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  if (!script || !script.src || w.__leadflowTracking) { return; }
  w.__leadflowTracking = true;
  var clickToken = takeClickToken();
  var n = w.navigator || {};
  if (n.doNotTrack === "1" || w.doNotTrack === "1" || n.msDoNotTrack === "1" || n.globalPrivacyControl === true) {
    w.lf = function () {};
    return;
  }
  var src = new URL(script.src, location.href);
  var endpoint = src.origin + src.pathname.replace(/\/t\/lf\.js$/, "") + "/t/collect";
  var COOKIE = "lf_vid", YEARS = 2, MAX = 50;
  var DOWNLOAD = /\.(pdf|zip|docx?|xlsx?|pptx?|csv|txt|rtf|odt|ods|odp|epub|dmg|exe|msi|gz|tgz|rar|7z|mp3|mp4|mov)$/i;
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var queue = [], timer = null, started = false, visitor = null;
  var consent = w.leadflowConsent !== false;

  function readCookie() {
    var match = d.cookie.match(/(?:^|;\s*)lf_vid=([A-Za-z0-9_-]{8,64})/);
    return match ? match[1] : null;
  }

  function newId() {
    var bytes = new Uint8Array(16), text = "";
    (w.crypto || w.msCrypto).getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function visitorId() {
    if (visitor) { return visitor; }
    visitor = readCookie() || newId();
    d.cookie = COOKIE + "=" + visitor + "; Max-Age=" + (YEARS * 365 * 86400) + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return visitor;
  }

  function takeClickToken() {
    var search = location.search, found = null;
    if (!/[?&]lf_t=/.test(search)) { return null; }
    var kept = search.slice(1).split("&").filter(function (part) {
      if (part.indexOf("lf_t=") !== 0) { return true; }
      found = part.slice(5);
      return false;
    });
    try {
      w.history.replaceState(w.history.state, "", location.pathname + (kept.length ? "?" + kept.join("&") : "") +
        location.hash);
    } catch (e) { /* an address the page may not rewrite: the token stays, nothing else changes */ }
    return /^[A-Za-z0-9_.-]{10,300}$/.test(found || "") ? found : null;
  }

  function send(events) {
    var message = {visitor: visitorId(), events: events};
    if (clickToken) { message.identify = clickToken; clickToken = null; }
    var body = JSON.stringify(message);
    var blob = new Blob([body], {type: "text/plain;charset=UTF-8"});
    if (n.sendBeacon && n.sendBeacon(endpoint, blob)) { return; }
    if (w.fetch) {
      w.fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "omit", mode: "cors",
        headers: {"Content-Type": "text/plain;charset=UTF-8"}}).catch(function () {});
    }
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!consent) { return; }
    while (queue.length) { send(queue.splice(0, MAX)); }
  }

  function push(type, props) {
    if (!consent) { return; }
    var event = {type: type, at: Date.now()};
    for (var key in props) {
      if (Object.prototype.hasOwnProperty.call(props, key) && props[key] != null && props[key] !== "") {
        event[key] = String(props[key]).slice(0, 2000);
      }
    }
    queue.push(event);
    if (queue.length >= 20) { flush(); } else if (!timer) { timer = setTimeout(flush, 2000); }
  }

  function pageView() {
    var props = {url: location.href, title: d.title, referrer: d.referrer};
    var query = new URLSearchParams(location.search);
    for (var i = 0; i < UTM.length; i++) { props[UTM[i]] = query.get(UTM[i]); }
    push("page_view", props);
  }

  function onClick(event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link) { return; }
    var url;
    try { url = new URL(link.getAttribute("href"), location.href); } catch (e) { return; }
    if (url.protocol !== "http:" && url.protocol !== "https:") { return; }
    var text = (link.getAttribute("data-lf-name") || link.textContent || "").replace(/\s+/g, " ").trim().slice(0, 200);
    if (link.hasAttribute("download") || (url.origin === location.origin && DOWNLOAD.test(url.pathname))) {
      push("download", {url: url.href, name: url.pathname.split("/").pop() || text, text: text});
      flush();
    } else if (link.hasAttribute("data-lf-track")) {
      push("click", {url: url.href, name: link.getAttribute("data-lf-track") || text, text: text});
      flush();
    }
  }

  function markForm(form) {
    if (!form || !form.elements || form.hasAttribute("data-lf-ignore")) { return; }
    var input = form.querySelector('input[name="lf_vid"]');
    if (!input) {
      input = d.createElement("input");
      input.type = "hidden";
      input.name = "lf_vid";
      form.appendChild(input);
    }
    input.value = visitorId();
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-lf-ignore")) { return; }
    markForm(form);
    push("form_submit", {url: location.href, form: form.id || form.getAttribute("name") || form.getAttribute("action")});
    flush();
  }

  function start() {
    if (started || !consent) { return; }
    started = true;
    visitorId();
    pageView();
    if (clickToken) { flush(); }
    d.addEventListener("click", onClick, true);
    d.addEventListener("submit", onSubmit, true);  /* capture phase: before the form's own handlers */
    w.addEventListener("pagehide", flush);
    d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") { flush(); } });
    var forms = d.forms;
    for (var i = 0; i < forms.length; i++) { markForm(forms[i]); }
  }

  function command(name, value, props) {
    if (name === "consent") {
      consent = value !== false;
      w.leadflowConsent = consent;
      if (consent) { start(); } else { queue = []; }
    } else if (name === "track" && typeof value === "string" && started) {
      push(value, props || {});
    } else if (name === "flush") {
      flush();
    } else if (name === "visitor") {
      return consent && started ? visitorId() : null;
    }
  }

  var waiting = (w.lf && w.lf.q) || [];
  w.lf = function () { return command.apply(null, arguments); };
  for (var i = 0; i < waiting.length; i++) { command.apply(null, waiting[i]); }
  start();
})(window, document);
