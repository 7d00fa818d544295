// Classification: the answer the form holds, and the rule the schema cannot say (a justification's length).
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  FT.kinds.classification = {
    collect: function (form, data) {
      const answer = { labels: Array.from(form.querySelectorAll('input[name="labels"]:checked')).map(function (i) { return i.value; }) };
      const field = form.querySelector('[name="justification"]');
      const text = field ? field.value.trim() : "";
      if (text || data.config.justification_required) answer.justification = text;
      return answer;
    },
    rules: function (config, payload, answer) {
      const errors = {};
      if (config.justification_required) {
        const problem = FT.written(config.justification_min_chars, answer.justification);
        if (problem) errors.justification = problem;
      }
      return errors;
    },
    describe: function (key) { return key === "labels" ? "Your label" : key === "justification" ? "Your reason" : key; },
    fieldFor: function (form, key) {
      return key === "labels" ? form.querySelector('input[name="labels"]') : form.querySelector('[name="' + key + '"]');
    },
  };
})();
