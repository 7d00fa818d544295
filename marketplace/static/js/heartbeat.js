// The work page's heartbeat: tells the server the trainer is working, so the clock both sides see is right.
// Beats every HEARTBEAT_INTERVAL_SECONDS while the tab is visible, focused and the trainer active (input within
// HEARTBEAT_ACTIVE_SECONDS); a final beat at once on submit, blur, hiding or closing the tab and on going idle
// (sendBeacon, which cannot set headers, so the CSRF token travels in the form body). Idle time is never
// billed; active time is never lost: the server closes the session at the last beat after its idle gap.
(function () {
  "use strict";
  var box = document.getElementById("work-clock");
  if (!box || !window.fetch) { return; }
  var url = box.dataset.heartbeatUrl, jobId = box.dataset.jobId, kind = box.dataset.kind || "job";
  var csrf = box.dataset.csrf;
  var interval = (parseInt(box.dataset.interval, 10) || 30) * 1000;
  var activeWindow = (parseInt(box.dataset.active, 10) || 120) * 1000;
  var lastInput = Date.now(), lastSent = 0, lastFinal = 0, wasActive = true, refused = false;

  function el(id) { return document.getElementById(id); }
  function setText(id, text) { var node = el(id); if (node && text) { node.textContent = text; } }
  function state(text, cls) {
    setText("clock-state", text);
    box.classList.remove("is-paused", "is-refused");
    if (cls) { box.classList.add(cls); }
  }
  function show(clock) {
    if (!clock) { return; }
    setText("clock-today", clock.today);
    setText("clock-week", clock.week);
    setText("clock-job", clock.job_week);
    setText("time-today", clock.today);  // the work page's own "Your time today"
  }
  function isActive() {
    return document.visibilityState === "visible" && document.hasFocus() && Date.now() - lastInput < activeWindow;
  }
  function body(event) {
    var params = new URLSearchParams();
    params.set("job_id", jobId);
    params.set("kind", kind);
    params.set("event", event);
    params.set("csrf_token", csrf);
    return params;
  }
  function send(event) {
    lastSent = Date.now();
    return fetch(url, { method: "POST", body: body(event), credentials: "same-origin", keepalive: true,
                        headers: { "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
      })
      .then(function (result) {
        if (result.ok) {
          refused = false;
          show(result.data.clock);
          state("Recording while you work");
          return;
        }
        var error = result.data && result.data.error ? result.data.error : {};
        show(error.clock);
        refused = true;
        state(error.message || "Your time could not be recorded just now.", "is-refused");
      })
      .catch(function () {
        state("Offline: time up to the last beat that reached us is kept; recording resumes when you are back.",
              "is-paused");
      });
  }
  function final(event) {
    if (Date.now() - lastFinal < 2000) { return; }  // blur and hidden often fire together: one is enough
    lastFinal = lastSent = Date.now();
    var data = body(event);
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) { return; }
    send(event);
  }
  function onInput() {
    var wasIdle = !isActive();
    lastInput = Date.now();
    if (wasIdle && document.visibilityState === "visible") { wasActive = true; send("beat"); }
  }

  ["keydown", "mousedown", "wheel", "touchstart", "input", "scroll"].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true, capture: true });
  });
  var lastMove = 0;
  window.addEventListener("mousemove", function () {
    if (Date.now() - lastMove > 1000) { lastMove = Date.now(); onInput(); }
  }, { passive: true });

  window.setInterval(function () {
    var active = isActive();
    if (active && Date.now() - lastSent >= interval) { send("beat"); }
    if (!active && wasActive && document.visibilityState === "visible" && document.hasFocus()) {
      final("idle");
      state("Paused: no input for a while. Move the mouse or type to carry on.", "is-paused");
    }
    wasActive = active;
  }, Math.min(5000, interval));

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { final("hidden"); }
    else { lastInput = Date.now(); send("beat"); }
  });
  window.addEventListener("blur", function () { final("blur"); });
  window.addEventListener("focus", function () { lastInput = Date.now(); if (!refused) { send("beat"); } });
  window.addEventListener("pagehide", function () { final("close"); });

  var form = box.dataset.form ? document.querySelector(box.dataset.form) : null;
  if (form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      final(submitter && submitter.value === "stop" ? "stop" : "submit");
    });
  }
  send("start");
})();
