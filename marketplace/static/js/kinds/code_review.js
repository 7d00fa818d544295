// Code review: syntax highlighting per line (highlight.js), bugs added from the line numbers (mouse or keyboard),
// and Run tests (the sandbox endpoint; the server keeps the result and attaches the last one to the answer).
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  function lineCount(code) { return (code || "").split("\n").length; }  // as jobs/answers.py: count("\n") + 1

  FT.kinds.code_review = {
    // As assignment/kind_forms.py _code_review.
    collect: function (form) {
      const bugs = [];
      form.querySelectorAll(".bug-row").forEach(function (row) {
        const line = row.querySelector('[name="bug_line"]').value.trim();
        const description = row.querySelector('[name="bug_description"]').value.trim();
        if (!line && !description) return;
        const n = Number(line);
        bugs.push({ line: line !== "" && Number.isInteger(n) ? n : line, description: description });
      });
      const verdict = form.querySelector('input[name="verdict"]:checked');
      const answer = { verdict: verdict ? verdict.value : "", bugs: bugs };
      const quality = form.querySelector('input[name="quality"]:checked');
      if (quality) answer.quality = Number(quality.value);
      const comments = form.querySelector('[name="comments"]').value.trim();
      if (comments) answer.comments = comments;
      return answer;
    },
    formErrors: function (form) {
      let errors = {};
      Array.from(form.querySelectorAll(".bug-row")).filter(function (row) {
        return row.querySelector('[name="bug_line"]').value.trim() || row.querySelector('[name="bug_description"]').value.trim();
      }).forEach(function (row, i) {
        const raw = row.querySelector('[name="bug_line"]').value.trim();
        if (!(raw !== "" && Number.isInteger(Number(raw))) && !Object.keys(errors).length) errors = { ["bugs[" + i + "].line"]: "must be a line number" };
      });
      return errors;
    },
    // jobs/answers.py _answer_rules for "code_review".
    rules: function (config, payload, answer) {
      const errors = {};
      const bugs = answer.bugs || [];
      const lines = lineCount(payload.code);
      if (answer.verdict === "correct" && bugs.length) errors.bugs = "must be empty when the verdict is 'correct'";
      else if (answer.verdict === "incorrect" && config.require_bug_lines && !bugs.length) errors.bugs = "must point at least one bug when the verdict is 'incorrect'";
      for (let i = 0; i < bugs.length; i++) {
        if (payload.code && bugs[i].line > lines) { errors["bugs[" + i + "].line"] = "is past the end of the code (" + lines + " lines)"; break; }
      }
      return errors;
    },
    describe: function (key) {
      const m = /^bugs\[(\d+)\]\.(\w+)$/.exec(key);
      if (m) return "Bug " + (Number(m[1]) + 1) + (m[2] === "line" ? " line" : " description");
      return { verdict: "Verdict", quality: "Quality", bugs: "Bugs", comments: "Comments" }[key] || key;
    },
    fieldFor: function (form, key) {
      const m = /^bugs\[(\d+)\]\.(\w+)$/.exec(key);
      const rows = Array.from(form.querySelectorAll(".bug-row")).filter(function (row) {
        return row.querySelector('[name="bug_line"]').value.trim() || row.querySelector('[name="bug_description"]').value.trim();
      });
      if (m && rows[Number(m[1])]) return rows[Number(m[1])].querySelector(m[2] === "line" ? '[name="bug_line"]' : '[name="bug_description"]');
      if (key === "bugs") return form.querySelector("#add-bug") || form.querySelector('[name="bug_line"]');
      return form.querySelector('input[name="' + key + '"]');
    },
  };

  // Highlight the whole text once, then cut the HTML into lines, closing and reopening the spans that a line
  // break falls inside (a docstring over several lines keeps its colour on each).
  function highlightedLines(code, language) {
    if (!window.hljs || !window.hljs.getLanguage(language)) return null;
    const html = window.hljs.highlight(code, { language: language, ignoreIllegals: true }).value;
    const lines = [];
    const open = [];
    let current = "";
    const re = /(<span[^>]*>)|(<\/span>)|(\n)|([^<\n]+)/g;
    let m;
    while ((m = re.exec(html))) {
      if (m[1]) { open.push(m[1]); current += m[1]; }
      else if (m[2]) { open.pop(); current += m[2]; }
      else if (m[3]) { lines.push(current + "</span>".repeat(open.length)); current = open.join(""); }
      else current += m[4];
    }
    lines.push(current + "</span>".repeat(open.length));
    return lines;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const section = document.getElementById("code-review");
    if (!section) return;
    const form = document.getElementById("work-form");
    const data = FT.kindData();
    const list = document.getElementById("bug-list");
    const codeList = document.getElementById("code-lines");
    const numbers = Array.from(codeList.querySelectorAll("button.ln"));
    section.querySelectorAll(".no-js-only").forEach(function (el) { el.remove(); });
    section.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    const lines = highlightedLines((data.payload.code || "").replace(/\n+$/, ""), codeList.dataset.language);
    if (lines) {
      codeList.querySelectorAll("code.src").forEach(function (el, i) {
        if (lines[i] !== undefined) { el.innerHTML = lines[i]; el.classList.add("hljs"); }  // hljs escapes the text
      });
    }
    const tests = document.querySelector("#tests-source code");
    if (tests && window.hljs && window.hljs.getLanguage(codeList.dataset.language)) window.hljs.highlightElement(tests);

    function rows() { return Array.from(list.querySelectorAll(".bug-row")); }
    function markLines() {
      const marked = new Set(rows().map(function (r) { return Number(r.querySelector('[name="bug_line"]').value); }));
      codeList.querySelectorAll(".code-line").forEach(function (li) {
        const has = marked.has(Number(li.dataset.line));
        li.classList.toggle("has-bug", has);
        li.querySelector(".bug-mark").textContent = has ? "bug" : "";
        li.querySelector("button.ln").setAttribute("aria-label", "Line " + li.dataset.line + (has ? " (bug reported)" : "") + ": report a bug here");
      });
      document.getElementById("bug-empty").hidden = rows().length > 0;
    }
    function wire(row) {
      const remove = row.querySelector(".remove-bug");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        markLines();
        FT.changed(form);
        (next ? next.querySelector('[name="bug_description"]') : document.getElementById("add-bug")).focus();
      });
      row.querySelector('[name="bug_line"]').addEventListener("input", markLines);
    }
    function addBug(line) {
      const row = document.createElement("li");
      row.className = "bug-row";
      row.innerHTML = '<label>Line <input type="number" name="bug_line" min="1"></label>' +
        '<label class="bug-description">What is wrong <input type="text" name="bug_description" maxlength="2000"></label>' +
        '<button type="button" class="secondary outline remove-bug">Remove</button>';
      row.querySelector('[name="bug_line"]').max = String(numbers.length);
      if (line) row.querySelector('[name="bug_line"]').value = String(line);
      list.appendChild(row);
      wire(row);
      markLines();
      const incorrect = form.querySelector('input[name="verdict"][value="incorrect"]');
      if (incorrect && !form.querySelector('input[name="verdict"]:checked')) incorrect.checked = true;  // a bug means incorrect
      FT.changed(form);
      row.querySelector(line ? '[name="bug_description"]' : '[name="bug_line"]').focus();
    }
    rows().forEach(wire);
    markLines();
    document.getElementById("add-bug").addEventListener("click", function () { addBug(null); });

    // Line numbers: one tab stop for the whole code (arrows move between lines), Enter or a click adds a bug.
    function focusLine(i) {
      i = Math.max(0, Math.min(numbers.length - 1, i));
      numbers.forEach(function (b, j) { b.tabIndex = j === i ? 0 : -1; });
      numbers[i].focus();
    }
    codeList.addEventListener("click", function (e) {
      const button = e.target.closest("button.ln");
      if (button) addBug(Number(button.dataset.line));
    });
    codeList.addEventListener("keydown", function (e) {
      const i = numbers.indexOf(e.target);
      if (i < 0) return;
      const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[e.key];
      if (step) { e.preventDefault(); focusLine(i + step); }
      else if (e.key === "Home") { e.preventDefault(); focusLine(0); }
      else if (e.key === "End") { e.preventDefault(); focusLine(numbers.length - 1); }
    });

    // Run tests.
    const run = document.getElementById("run-tests");
    const result = document.getElementById("test-result");
    const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    async function runTests() {
      if (!run || run.disabled) return;
      run.disabled = true;
      run.setAttribute("aria-busy", "true");
      result.hidden = false;
      result.innerHTML = '<p class="muted">Running the tests…</p>';
      try {
        const response = await fetch(run.dataset.url, { method: "POST", credentials: "same-origin",
          headers: { "X-CSRFToken": csrf, "Accept": "application/json" } });
        let body = {};
        try { body = await response.json(); } catch (err) { body = {}; }
        if (!response.ok) {
          result.innerHTML = "";
          const p = document.createElement("p");
          p.className = "flash flash-error";
          p.textContent = (body.error && body.error.message) || ("The tests could not be run (error " + response.status + ").");
          result.appendChild(p);
        } else {
          result.innerHTML = body.html;  // rendered by the server's template, escaped there
        }
      } catch (err) {
        result.textContent = "The tests could not be run: the connection failed. Try again.";
      } finally {
        run.disabled = false;
        run.removeAttribute("aria-busy");
      }
    }
    if (run) run.addEventListener("click", runTests);
    document.addEventListener("keydown", function (e) {
      const t = e.target;
      if ((e.key !== "r" && e.key !== "R") || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !["radio", "checkbox"].includes(t.type)))) return;
      if (run) { e.preventDefault(); runTests(); }
    });
  });
})();
