// Work page: keyboard shortcuts, draft autosave and the reservation countdown.
// Progressive: without this script the page is plain forms and still works.
(function () {
  "use strict";
  const form = document.getElementById("work-form");
  const help = document.getElementById("shortcuts-help");
  const instructions = document.getElementById("instructions");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  let submitting = false;

  function isTyping(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(el.type);
  }

  function submitNext() {
    if (!form || submitting) return;
    const button = document.getElementById("submit-next");
    if (button) form.requestSubmit(button);
  }

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey) return;
    const target = e.target;
    if (e.key === "?" && !isTyping(target)) { e.preventDefault(); toggleHelp(); return; }
    if (help && help.open) return;
    if ((e.key === "i" || e.key === "I") && instructions && !isTyping(target) && !e.ctrlKey && !e.metaKey) {
      instructions.open = !instructions.open;
      return;
    }
    if (!form) return;
    if (target && target.closest && target.closest("#return")) return;  // the return form keeps its own keys
    if (e.key === "Enter") {
      if (target && target.tagName === "TEXTAREA" && !(e.ctrlKey || e.metaKey)) return;
      if (target && ["BUTTON", "A", "SUMMARY"].includes(target.tagName)) return;
      e.preventDefault();
      submitNext();
      return;
    }
    if (isTyping(target) || e.ctrlKey || e.metaKey) return;
    if (/^[1-9]$/.test(e.key)) {
      const input = form.querySelector('input[data-key="' + e.key + '"]');
      if (!input) return;
      e.preventDefault();
      input.checked = input.type === "checkbox" ? !input.checked : true;
      input.focus();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  if (help) help.addEventListener("close", function () {
    if (help.contains(document.activeElement)) document.activeElement.blur();
  });

  if (!form) return;
  form.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;  // the answer checks (answer-check.js) stopped it: stay ready to submit
    submitting = true; saveSoon.cancel();
  });

  // Autosave: a second after the last change, and when the page is hidden (tab switch, closing). The status says
  // in words when the draft was saved; its data-state says whether the latest change is saved yet ("pending",
  // "saving", "saved", "error"), for scripts and tests that must know the draft on the server is the current one.
  const status = document.getElementById("draft-status");
  function setState(state) { if (status) status.dataset.state = state; }
  const draftUrl = form.dataset.draftUrl;
  let dirty = false;
  let saving = false;  // one save at a time, so an older draft never lands after a newer one
  let timer = null;
  const saveSoon = {
    schedule: function () { dirty = true; setState("pending"); clearTimeout(timer); timer = setTimeout(saveDraft, 1000); },
    cancel: function () { clearTimeout(timer); dirty = false; },
  };

  function draftBody() {
    const data = new FormData(form);
    data.delete("then");
    return data;
  }

  async function saveDraft() {
    if (!dirty || submitting || !draftUrl) return;
    if (saving) { clearTimeout(timer); timer = setTimeout(saveDraft, 300); return; }
    dirty = false;
    saving = true;
    setState("saving");
    try {
      const response = await fetch(draftUrl, { method: "POST", body: draftBody(), credentials: "same-origin",
                                                headers: { "X-CSRFToken": csrf, "Accept": "application/json" } });
      const body = await response.json();
      if (response.ok) {
        if (status) status.textContent = "Draft saved " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        if (typeof body.seconds_left === "number") countdown.sync(body.seconds_left);
        setState(dirty ? "pending" : "saved");  // a change made while this one was on its way waits its turn
      } else {
        if (status) status.textContent = body.error ? body.error.message : "The draft could not be saved.";
        setState("error");
      }
    } catch (err) {
      if (status) status.textContent = "Offline: the draft will be saved when the connection is back.";
      dirty = true;
      setState("error");
    } finally {
      saving = false;
    }
  }

  form.addEventListener("input", saveSoon.schedule);
  form.addEventListener("change", saveSoon.schedule);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty && !submitting && navigator.sendBeacon) {
      navigator.sendBeacon(draftUrl, draftBody());
      dirty = false;
    }
  });

  // Reservation countdown: a warning near the end, a clear notice when time is up.
  const countdown = (function () {
    const el = document.getElementById("timer");
    if (!el) return { sync: function () {} };
    const warnAt = Number(el.dataset.warn || 300);
    const warning = document.getElementById("expiry-warning");
    const expired = document.getElementById("expired-notice");
    let end = Date.now() + Number(el.dataset.secondsLeft) * 1000;

    function text(seconds) {
      const m = Math.floor(seconds / 60), s = seconds % 60;
      return m + ":" + String(s).padStart(2, "0");
    }

    function tick() {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = text(left);
      if (warning) {
        warning.hidden = !(left > 0 && left <= warnAt);
        const span = warning.querySelector(".expiry-left");
        if (span) span.textContent = text(left);
      }
      if (left === 0) {
        if (expired) expired.hidden = false;
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        return;
      }
      setTimeout(tick, 1000);
    }
    tick();
    return { sync: function (seconds) { end = Date.now() + seconds * 1000; } };
  })();
})();
