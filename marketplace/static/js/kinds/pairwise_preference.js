// Pairwise preference: choice, strength (none for a tie), reason; with more than two responses a ranking that
// moves by drag (pointer) or by keyboard (Shift+arrows), kept in hidden "ranking" fields in order.
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  function letters(payload) { return "abcdefghij".slice(0, 2 + (payload.more_responses || []).length).split(""); }
  function sorted(list) { return list.slice().sort().join(","); }

  FT.kinds.pairwise_preference = {
    // As assignment/kind_forms.py _pairwise (the order the page showed is added by the server as well).
    collect: function (form, data) {
      const ranking = Array.from(form.querySelectorAll('input[name="ranking"]')).map(function (i) { return i.value; });
      const ranked = letters(data.payload).length > 2;
      const checked = form.querySelector('input[name="preferred"]:checked');
      let preferred = checked ? checked.value : "";
      if (ranked && ranking.length && !preferred) {
        preferred = ranking.indexOf("a") < ranking.indexOf("b") ? "a" : "b";
      }
      const answer = { preferred: preferred, reason: form.querySelector('[name="reason"]').value.trim() };
      const strength = form.querySelector('input[name="strength"]:checked');
      if (strength && preferred !== "tie") answer.strength = strength.value;
      if (ranked) answer.ranking = ranking;
      if (data.order) answer.order = data.order;
      return answer;
    },
    // jobs/answers.py _answer_rules and _ranking_rules.
    rules: function (config, payload, answer) {
      const errors = {};
      if (answer.preferred !== "tie" && !("strength" in answer)) errors.strength = "is required unless the responses are tied";
      const all = letters(payload);
      if (answer.order !== undefined && sorted(answer.order) !== sorted(all)) errors.order = "must list each of the responses " + all.join(", ") + " once";
      if (all.length === 2) {
        if (answer.ranking !== undefined && sorted(answer.ranking) !== "a,b") errors.ranking = "must list each of the responses a, b once";
      } else if (answer.ranking === undefined) {
        errors.ranking = "is required: rank every response, best first";
      } else if (sorted(answer.ranking) !== sorted(all)) {
        errors.ranking = "must list each of the responses " + all.join(", ") + " once";
      } else if (answer.preferred === "tie") {
        errors.preferred = "cannot be a tie when the responses are ranked";
      } else if (answer.preferred !== (answer.ranking.indexOf("a") < answer.ranking.indexOf("b") ? "a" : "b")) {
        errors.preferred = "must agree with the ranking (the better of a and b)";
      }
      const problem = FT.written(config.reason_min_chars, answer.reason);
      if (problem) errors.reason = problem;
      return errors;
    },
    describe: function (key) {
      return { preferred: "Your choice", strength: "How much better", reason: "Your reason", ranking: "Your ranking" }[key] || key;
    },
    fieldFor: function (form, key) {
      if (key === "reason") return form.querySelector("#reason");
      if (key === "ranking") return form.querySelector(".ranking-item");
      return form.querySelector('input[name="' + key + '"]') || form.querySelector(".ranking-item");
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("work-form");
    const section = document.getElementById("pairwise");
    if (!form || !section) return;
    const data = FT.kindData();

    // A tie has no strength: the strength choices are cleared and disabled while "equally good" is chosen.
    const strengths = section.querySelectorAll('input[name="strength"]');
    function syncStrength() {
      const tie = form.querySelector('input[name="preferred"][value="tie"]:checked');
      strengths.forEach(function (s) { s.disabled = !!tie; if (tie) s.checked = false; });
      section.querySelector("#strength").classList.toggle("is-disabled", !!tie);
    }
    section.querySelectorAll('input[name="preferred"]').forEach(function (r) { r.addEventListener("change", syncStrength); });
    strengths.forEach(function (s) { s.addEventListener("change", function () { if (s.disabled) s.checked = false; }); });
    syncStrength();

    const reason = document.getElementById("reason");
    const reasonCount = document.getElementById("reason-count");
    function countReason() {
      const n = FT.chars(reason.value.trim()), min = data.config.reason_min_chars;
      reasonCount.textContent = n + " characters" + (min ? (n < min ? " — " + (min - n) + " more needed" : " ✓") : "");
    }
    reason.addEventListener("input", countReason);
    countReason();

    const list = document.getElementById("ranking-list");
    if (!list) return;
    const status = document.getElementById("ranking-status");

    function items() { return Array.from(list.querySelectorAll(".ranking-item")); }
    function name(item) { return item.querySelector(".rank-name").textContent; }
    function renumber(moved) {
      const all = items();
      all.forEach(function (item, i) {
        item.querySelector(".rank-number").textContent = String(i + 1);
        item.setAttribute("aria-label", name(item) + ", ranked " + (i + 1) + " of " + all.length);
        item.querySelector('[data-move="-1"]').disabled = i === 0;
        item.querySelector('[data-move="1"]').disabled = i === all.length - 1;
      });
      if (moved) {
        status.textContent = name(moved) + " is now ranked " + (all.indexOf(moved) + 1) + " of " + all.length + ".";
        FT.changed(form);
      }
    }
    function move(item, delta) {
      const all = items();
      const to = all.indexOf(item) + delta;
      if (to < 0 || to >= all.length) return;
      if (delta < 0) list.insertBefore(item, all[to]); else list.insertBefore(item, all[to].nextSibling);
      renumber(item);
      focusItem(item);
    }
    function focusItem(item) {
      items().forEach(function (i) { i.tabIndex = i === item ? 0 : -1; });
      item.focus();
    }

    list.addEventListener("keydown", function (e) {
      const item = e.target.closest(".ranking-item");
      if (!item || e.target !== item) return;
      const all = items(), i = all.indexOf(item);
      let handled = true;
      if (e.key === "ArrowUp" && e.shiftKey) move(item, -1);
      else if (e.key === "ArrowDown" && e.shiftKey) move(item, 1);
      else if (e.key === "ArrowUp" && i > 0) focusItem(all[i - 1]);
      else if (e.key === "ArrowDown" && i < all.length - 1) focusItem(all[i + 1]);
      else if (e.key === "Home") focusItem(all[0]);
      else if (e.key === "End") focusItem(all[all.length - 1]);
      else handled = false;
      if (handled) { e.preventDefault(); e.stopPropagation(); }
    });
    list.addEventListener("click", function (e) {
      const button = e.target.closest("[data-move]");
      if (button) move(button.closest(".ranking-item"), Number(button.dataset.move));
    });

    // Drag by pointer (mouse, pen, touch): the item follows the pointer past its neighbours' middles.
    let dragging = null;
    list.addEventListener("pointerdown", function (e) {
      const handle = e.target.closest(".drag-handle, .rank-name, .rank-excerpt, .rank-number");
      const item = e.target.closest(".ranking-item");
      if (!handle || !item || e.button !== 0) return;
      e.preventDefault();
      dragging = item;
      item.classList.add("dragging");
      list.setPointerCapture(e.pointerId);
    });
    list.addEventListener("pointermove", function (e) {
      if (!dragging) return;
      const others = items().filter(function (i) { return i !== dragging; });
      const below = others.find(function (i) { const r = i.getBoundingClientRect(); return e.clientY < r.top + r.height / 2; });
      if (below) { if (dragging.nextSibling !== below) list.insertBefore(dragging, below); }
      else if (list.lastElementChild !== dragging) list.appendChild(dragging);
    });
    function drop() {
      if (!dragging) return;
      const item = dragging;
      dragging = null;
      item.classList.remove("dragging");
      renumber(item);
      focusItem(item);
    }
    list.addEventListener("pointerup", drop);
    list.addEventListener("pointercancel", drop);
    renumber(null);
  });
})();
