// Bounding boxes, the list: one table row per box, as form fields in IMAGE pixels (what the server reads and the
// draft keeps): label, x, y, width, height, and a Delete button. The rows tell the box editor
// (bounding_boxes.js) about edits through callbacks; it owns the boxes and calls render() after each change.
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  const FIELDS = ["x", "y", "w", "h"];
  const WORDS = { x: "left edge x", y: "top edge y", w: "width", h: "height" };

  // opts: rows (the tbody), labels, width, height (of the image), colour(label), and the callbacks
  // onLabel(id, label), onNumber(id, key, value), onDelete(id), onSelect(id).
  FT.bboxList = function (opts) {
    const rowsEl = opts.rows;

    // The boxes of the server-rendered rows (a restored draft), then the rows are ours to draw.
    function read() {
      const found = [];
      rowsEl.querySelectorAll("tr").forEach(function (row) {
        const label = row.querySelector('[name="box_label"]').value;
        const g = FIELDS.map(function (k) { return Number(row.querySelector('[name="box_' + k + '"]').value); });
        if (g.every(Number.isFinite)) found.push({ label: label, x: g[0], y: g[1], w: g[2], h: g[3] });
      });
      rowsEl.textContent = "";
      return found;
    }

    function buildRow(id) {
      const row = document.createElement("tr");
      row.className = "bbox-row";
      row.dataset.id = id;
      const head = document.createElement("th");
      head.scope = "row";
      row.appendChild(head);
      const labelCell = document.createElement("td");
      const select = document.createElement("select");
      select.name = "box_label";
      opts.labels.forEach(function (l) { const o = document.createElement("option"); o.textContent = l; select.appendChild(o); });
      select.addEventListener("change", function () { opts.onLabel(id, select.value); });
      labelCell.appendChild(select);
      row.appendChild(labelCell);
      FIELDS.forEach(function (k) {
        const td = document.createElement("td");
        const input = document.createElement("input");
        input.type = "number"; input.name = "box_" + k; input.min = "0"; input.step = "1"; input.inputMode = "numeric";
        input.addEventListener("change", function () {
          const v = Number(input.value);
          if (input.value.trim() !== "" && Number.isFinite(v)) opts.onNumber(id, k, v);
        });
        td.appendChild(input);
        row.appendChild(td);
      });
      const actions = document.createElement("td");
      const del = document.createElement("button");
      del.type = "button"; del.className = "secondary outline bbox-delete";
      del.textContent = "Delete";
      del.addEventListener("click", function () { opts.onDelete(id); });
      actions.appendChild(del);
      row.appendChild(actions);
      row.addEventListener("focusin", function () { opts.onSelect(id); });
      row.addEventListener("click", function (e) {
        if (e.target === row || e.target.tagName === "TH" || e.target.tagName === "TD") opts.onSelect(id);
      });
      return row;
    }

    // Rows follow the boxes (kept in place, so a field being edited keeps its focus); a field with focus keeps
    // what is being typed in it.
    function render(boxes) {
      const existing = {};
      rowsEl.querySelectorAll("tr").forEach(function (row) { existing[row.dataset.id] = row; });
      boxes.forEach(function (b, i) {
        const row = existing[b.id] || buildRow(b.id);
        delete existing[b.id];
        if (rowsEl.children[i] !== row) rowsEl.insertBefore(row, rowsEl.children[i] || null);
        const n = i + 1;
        row.children[0].textContent = String(n);
        const select = row.querySelector("select");
        select.setAttribute("aria-label", "Label of box " + n);
        if (document.activeElement !== select) select.value = b.label;
        FIELDS.forEach(function (k) {
          const input = row.querySelector('[name="box_' + k + '"]');
          input.setAttribute("aria-label", "Box " + n + " " + WORDS[k] + " in pixels");
          input.max = String(k === "x" || k === "w" ? opts.width : opts.height);
          if (document.activeElement !== input) input.value = String(Math.round(b[k]));
        });
        row.querySelector(".bbox-delete").setAttribute("aria-label", "Delete box " + n + " (" + b.label + ")");
        row.style.setProperty("--row-colour", opts.colour(b.label));
      });
      Object.keys(existing).forEach(function (id) { existing[id].remove(); });
    }

    // The selected box's row is marked in words too ("(selected)", kinds.css) and for screen readers.
    function select(id) {
      rowsEl.querySelectorAll("tr").forEach(function (row) {
        const on = row.dataset.id === id;
        row.classList.toggle("selected", on);
        row.setAttribute("aria-current", on ? "true" : "false");
      });
    }

    return { read: read, render: render, select: select };
  };
})();
