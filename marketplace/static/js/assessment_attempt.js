// The attempt page: a countdown from the server's deadline, autosave as you answer, and a submit at time-up.
// Without JavaScript the page still works: the Save and Submit buttons post the form.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var saveUrl = form.dataset.saveUrl;
  var submitUrl = form.dataset.submitUrl;
  var deadline = Date.parse(form.dataset.deadline);
  var skew = Date.parse(form.dataset.now) - Date.now(); // server clock minus this browser's clock
  var limit = parseInt(form.dataset.limit, 10);
  var clock = document.getElementById("clock");
  var progress = document.getElementById("time-progress");
  var saveState = document.getElementById("save-state");
  var answeredCount = document.getElementById("answered-count");
  var token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var saving = false, pending = false, timer = null, submitted = false;

  function secondsLeft() { return Math.floor((deadline - (Date.now() + skew)) / 1000); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = secondsLeft();
    var shown = Math.max(left, 0);
    clock.textContent = Math.floor(shown / 60) + ":" + pad(shown % 60);
    clock.classList.toggle("low", shown < 120);
    progress.value = Math.min(shown, limit);
    // Submit a moment before the deadline so the answers arrive on time (the server allows a short grace).
    if (left <= 2 && !submitted) {
      submitted = true;
      saveState.textContent = "Time is up: submitting your answers…";
      form.action = submitUrl;
      form.submit();
    }
  }

  function countAnswered() {
    var cards = form.querySelectorAll(".item-card");
    var n = 0;
    cards.forEach(function (card) {
      var chosen = card.querySelector("input:checked");
      var text = card.querySelector("textarea");
      if (chosen || (text && text.value.trim())) { n += 1; }
    });
    answeredCount.textContent = n + " of " + cards.length + " answered";
    return cards.length - n;
  }

  function save() {
    if (saving) { pending = true; return; }
    saving = true;
    saveState.textContent = "Saving…";
    fetch(saveUrl, {method: "POST", body: new FormData(form), credentials: "same-origin",
                    headers: {"Accept": "application/json", "X-CSRFToken": token}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (result) {
        if (result.ok) {
          var at = new Date(result.body.saved_at);
          saveState.textContent = "Saved at " + at.toLocaleTimeString();
        } else {
          saveState.textContent = "Not saved: " + result.body.error.message;
        }
      })
      .catch(function () { saveState.textContent = "Not saved: no connection. Your answers stay on this page; we will retry."; pending = true; })
      .finally(function () {
        saving = false;
        if (pending) { pending = false; window.setTimeout(save, 1500); }
      });
  }

  function later(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("input")) { countAnswered(); later(250); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.matches("textarea")) {
      var counter = document.getElementById(event.target.dataset.counter);
      if (counter) { counter.textContent = event.target.value.length + " / " + event.target.maxLength; }
      countAnswered();
      later(1200);
    }
  });
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.id === "submit-attempt") {
      var missing = countAnswered();
      var question = missing ? "You have " + missing + " unanswered item" + (missing === 1 ? "" : "s") +
        ". Submit anyway? You cannot change answers afterwards." : "Submit your attempt? You cannot change answers afterwards.";
      if (!window.confirm(question)) { event.preventDefault(); return; }
      submitted = true;
    } else if (submitter) {
      event.preventDefault();
      window.clearTimeout(timer);
      save();
    }
  });

  countAnswered();
  tick();
  window.setInterval(tick, 1000);
})();
