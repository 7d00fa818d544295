// Rubric rating: digits score the scale you are on (0 means 10) and move to the next one; the rules the schema
// cannot say (comments a job requires) are checked before sending.
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  FT.kinds.rating = {
    // As assignment/kind_forms.py _rating: scores by scale name, comments only when written.
    collect: function (form, data) {
      const scores = {}, comments = {};
      (data.config.rubric || []).forEach(function (scale, i) {
        const checked = form.querySelector('input[name="score-' + i + '"]:checked');
        if (checked) scores[scale.name] = Number(checked.value);
        const comment = form.querySelector('[name="scale-comment-' + i + '"]');
        if (comment && comment.value.trim()) comments[scale.name] = comment.value.trim();
      });
      const answer = { scores: scores };
      if (Object.keys(comments).length) answer.scale_comments = comments;
      const overall = form.querySelector('[name="comments"]').value.trim();
      if (overall) answer.comments = overall;
      return answer;
    },
    // jobs/answers.py _answer_rules for "rating".
    rules: function (config, payload, answer) {
      const errors = {};
      if (config.comments_required && !(answer.comments || "").trim()) errors.comments = "are required for this job";
      (config.rubric || []).forEach(function (scale) {
        const comment = (answer.scale_comments || {})[scale.name] || "";
        if (scale.comment_required && !comment.trim()) errors["scale_comments." + scale.name] = "is required for this scale";
      });
      return errors;
    },
    describe: function (key) {
      if (key.indexOf("scores.") === 0) return key.slice(7);
      if (key.indexOf("scale_comments.") === 0) return "Comment on " + key.slice(15).toLowerCase();
      return key === "comments" ? "Overall comments" : key;
    },
    fieldFor: function (form, key) {
      const rubric = (FT.kindData().config.rubric || []).map(function (s) { return s.name; });
      if (key.indexOf("scores.") === 0) return form.querySelector('input[name="score-' + rubric.indexOf(key.slice(7)) + '"]');
      if (key.indexOf("scale_comments.") === 0) return form.querySelector("#scale-comment-" + rubric.indexOf(key.slice(15)));
      return form.querySelector("#comments");
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    const section = document.getElementById("rating");
    if (!section) return;
    const scales = Array.from(section.querySelectorAll("fieldset.scale"));

    function current() {
      const active = document.activeElement && document.activeElement.closest && document.activeElement.closest("fieldset.scale");
      return active || scales.find(function (s) { return !s.querySelector("input[type=radio]:checked"); }) || null;
    }
    function focusScale(scale) {
      const target = scale.querySelector("input[type=radio]:checked") || scale.querySelector("input[type=radio]");
      if (target) target.focus();
    }

    // Capture phase, so the frame's digit keys (labels of other kinds) never see these.
    document.addEventListener("keydown", function (e) {
      if (!/^[0-9]$/.test(e.key) || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target;
      if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !["radio", "checkbox"].includes(t.type)))) return;
      const help = document.getElementById("shortcuts-help");
      if (help && help.open) return;
      const scale = current();
      if (!scale) return;
      const value = e.key === "0" ? "10" : e.key;
      const radio = scale.querySelector('input[type=radio][value="' + value + '"]');
      e.preventDefault();
      e.stopPropagation();
      if (!radio) return;
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      const next = scales[scales.indexOf(scale) + 1];
      if (next) focusScale(next); else radio.focus();
    }, true);

    // Comment boxes grow with their text.
    section.querySelectorAll("textarea.autogrow").forEach(function (area) {
      const grow = function () { area.style.height = "auto"; area.style.height = Math.max(area.scrollHeight + 2, 40) + "px"; };
      area.addEventListener("input", grow);
      grow();
    });
  });
})();
