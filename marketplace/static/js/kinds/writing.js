// Writing: live counts against the job's limits, a server-rendered Markdown preview, and a record of typed vs
// pasted characters (kept in hidden fields, autosaved with the draft, sent with the answer).
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  function normalise(text) { return String(text || "").replace(/\r\n?/g, "\n"); }
  function count(id) { const el = document.getElementById(id); const n = parseInt(el && el.value, 10); return Number.isFinite(n) && n >= 0 ? n : null; }

  FT.kinds.writing = {
    // As assignment/kind_forms.py _writing: the text (LF line ends) and the measured figures when there are any.
    collect: function (form) {
      const answer = { text: normalise(form.querySelector('[name="text"]').value) };
      const stats = { typed_chars: count("typed_chars"), pasted_chars: count("pasted_chars"), pastes: count("pastes") };
      if (stats.typed_chars !== null && stats.pasted_chars !== null && stats.pastes !== null) answer.input_stats = stats;
      return answer;
    },
    rules: function (config, payload, answer) {
      const problem = FT.written(config.min_chars, answer.text);
      return problem ? { text: problem } : {};
    },
    describe: function (key) { return key === "text" ? "Your answer" : key; },
    fieldFor: function (form) { return form.querySelector("#text"); },
  };

  document.addEventListener("DOMContentLoaded", function () {
    const area = document.getElementById("text");
    if (!area) return;
    const data = FT.kindData();
    const min = data.config.min_chars, max = data.config.max_chars;
    const fields = { typed: document.getElementById("typed_chars"), pasted: document.getElementById("pasted_chars"),
                     pastes: document.getElementById("pastes") };
    const shown = { typed: document.getElementById("typed-count"), pasted: document.getElementById("pasted-count"),
                    pastes: document.getElementById("paste-count") };
    document.querySelectorAll("#writing .js-only").forEach(function (el) { el.hidden = false; });
    Object.keys(fields).forEach(function (k) { if (fields[k].value === "") fields[k].value = "0"; });

    function bump(key, n) {
      fields[key].value = String((parseInt(fields[key].value, 10) || 0) + n);
      shown[key].textContent = Number(fields[key].value).toLocaleString();
      document.getElementById("paste-word").textContent = fields.pastes.value === "1" ? "paste" : "pastes";
    }

    function counts() {
      const text = normalise(area.value);
      const chars = FT.chars(text), trimmed = FT.chars(text.trim());
      const words = (text.match(/\S+/g) || []).length;
      document.getElementById("char-count").textContent = chars.toLocaleString();
      document.getElementById("word-count").textContent = words.toLocaleString();
      const status = document.getElementById("limit-status");
      let message = "✓ within the limits", ok = true;
      if (trimmed < min) { message = "— " + (min - trimmed).toLocaleString() + " more characters needed"; ok = false; }
      else if (chars > max) { message = "— " + (chars - max).toLocaleString() + " characters over the limit"; ok = false; }
      status.textContent = message;
      status.className = "limit-status " + (ok ? "counter-ok" : "counter-bad");
    }

    // Typing (including dictation and autocorrect) counts as typed; pastes and drops as pasted. An input method
    // (Japanese, Chinese, ...) composes text in steps: only the finished text counts, once.
    area.addEventListener("beforeinput", function (e) {
      const type = e.inputType || "";
      if (type === "insertText" || type === "insertReplacementText") bump("typed", FT.chars(normalise(e.data || "")));
      else if (type === "insertLineBreak" || type === "insertParagraph") bump("typed", 1);
      else if (type === "insertFromDrop") bump("pasted", FT.chars(normalise(e.dataTransfer ? e.dataTransfer.getData("text/plain") : "")));
    });
    area.addEventListener("compositionend", function (e) { bump("typed", FT.chars(normalise(e.data || ""))); });
    area.addEventListener("paste", function (e) {
      const text = normalise(e.clipboardData ? e.clipboardData.getData("text/plain") : "");
      if (!text) return;
      bump("pasted", FT.chars(text));
      bump("pastes", 1);
    });
    area.addEventListener("input", counts);
    counts();

    // Preview: the same Markdown renderer and sanitiser as the rest of the site, on the server.
    const tabWrite = document.getElementById("tab-write"), tabPreview = document.getElementById("tab-preview");
    const preview = document.getElementById("preview");
    const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    async function showPreview() {
      tabWrite.setAttribute("aria-selected", "false");
      tabPreview.setAttribute("aria-selected", "true");
      preview.style.minHeight = area.offsetHeight + "px";
      area.hidden = true;
      preview.hidden = false;
      preview.textContent = "Rendering…";
      try {
        const response = await fetch(tabPreview.dataset.url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
          body: JSON.stringify({ text: area.value }) });
        const body = await response.json();
        if (!response.ok) throw new Error(body.error ? body.error.message : "error " + response.status);
        preview.innerHTML = body.html || "<p class=\"muted\">Nothing to preview yet.</p>";  // sanitised by the server
      } catch (err) {
        preview.textContent = "The preview could not be shown (" + err.message + "). Your text is safe.";
      }
    }
    function showWrite() {
      tabWrite.setAttribute("aria-selected", "true");
      tabPreview.setAttribute("aria-selected", "false");
      preview.hidden = true;
      area.hidden = false;
      area.focus();
    }
    tabPreview.addEventListener("click", showPreview);
    tabWrite.addEventListener("click", showWrite);
    [tabWrite, tabPreview].forEach(function (tab) {
      tab.addEventListener("keydown", function (e) {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          const other = tab === tabWrite ? tabPreview : tabWrite;
          other.focus();
          other.click();
        }
      });
    });
    // Alt+P toggles the preview from the editor (e.code: on a Mac, Alt+P types a character, so e.key differs).
    document.addEventListener("keydown", function (e) {
      if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === "KeyP") {
        e.preventDefault();
        if (preview.hidden) showPreview(); else showWrite();
      }
    });
  });
})();
