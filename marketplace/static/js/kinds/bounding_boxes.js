// Bounding boxes: Annotorious draws, moves and resizes rectangles on the image; this module keeps the list of
// boxes (the form fields the server reads, in IMAGE pixels whatever the zoom), labels (digits), zoom and pan,
// keyboard editing, and an undo stack of whole snapshots (so label and number edits undo like drawing).
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};
  const FIELDS = ["x", "y", "w", "h"];
  const WORDS = { x: "left edge x", y: "top edge y", w: "width", h: "height" };

  function parse(raw) {
    const text = String(raw == null ? "" : raw).trim();
    const value = Number(text);
    return text === "" || !Number.isFinite(value) ? text : value;  // a string makes the schema say "a number"
  }

  // The answer as the server's form reader builds it (assignment/kind_forms.py _boxes).
  function collect(form) {
    const boxes = [];
    form.querySelectorAll("#bbox-rows tr, .no-js-only tr").forEach(function (row) {
      const label = (row.querySelector('[name="box_label"]') || {}).value || "";
      const raw = FIELDS.map(function (k) { return (row.querySelector('[name="box_' + k + '"]') || {}).value || ""; });
      if (!label.trim() && raw.every(function (v) { return !String(v).trim(); })) return;
      const box = { label: label.trim() };
      FIELDS.forEach(function (k, i) { box[k] = parse(raw[i]); });
      boxes.push(box);
    });
    return { boxes: boxes };
  }

  FT.kinds.bounding_boxes = {
    collect: collect,
    // jobs/answers.py _answer_rules: every box inside the image.
    rules: function (config, payload, answer) {
      const errors = {};
      const width = payload.width, height = payload.height;
      for (let i = 0; i < answer.boxes.length; i++) {
        const b = answer.boxes[i];
        if (width && height && (b.x + b.w > width || b.y + b.h > height)) {
          errors["boxes[" + i + "]"] = "lies outside the " + width + "x" + height + " image";
          break;
        }
      }
      return errors;
    },
    formErrors: function (form, data) {
      const none = form.querySelector('[name="nothing_to_box"]');
      if (!data.config.min_boxes && !collect(form).boxes.length && !(none && none.checked)) {
        return { boxes: "are empty: draw a box, or tick 'Nothing to box in this image'" };
      }
      return {};
    },
    describe: function (key) {
      const m = /^boxes\[(\d+)\](?:\.(\w))?$/.exec(key);
      if (m) return "Box " + (Number(m[1]) + 1) + (m[2] ? " " + WORDS[m[2]] : "");
      return key === "boxes" ? "Boxes" : key;
    },
    fieldFor: function (form, key) {
      const m = /^boxes\[(\d+)\](?:\.(\w))?$/.exec(key);
      const rows = form.querySelectorAll("#bbox-rows tr");
      if (m && rows[Number(m[1])]) return rows[Number(m[1])].querySelector(m[2] ? '[name="box_' + m[2] + '"]' : "select");
      return form.querySelector("#bbox-stage") || form.querySelector("#bbox-list");
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    const section = document.getElementById("bbox");
    const img = document.getElementById("bbox-image");
    if (!section || !img || !window.Annotorious) return;  // no image or no script: the number fields still work
    const form = document.getElementById("work-form");
    const data = FT.kindData();
    const labels = data.config.labels;
    const W = Number(section.dataset.width), H = Number(section.dataset.height);
    const stage = document.getElementById("bbox-stage");
    const rowsEl = document.getElementById("bbox-rows");
    const zoomOut = document.getElementById("bbox-zoom-level");
    const pointerOut = document.getElementById("bbox-pointer");
    const buttons = {};
    section.querySelectorAll("[data-action]").forEach(function (b) { buttons[b.dataset.action] = b; });
    section.querySelectorAll(".no-js-only").forEach(function (el) { el.remove(); });
    section.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    let seq = 0;
    let boxes = [];
    let selectedId = null;
    let applying = false;
    let gesture = false;
    let zoom = 1;
    const undoStack = [], redoStack = [];

    const newId = function () { seq += 1; return "box-" + seq + "-" + Date.now().toString(36); };
    const byId = function (id) { return boxes.find(function (b) { return b.id === id; }); };
    const colourIndex = function (label) { return Math.max(0, labels.indexOf(label)) % 10; };
    const colour = function (label) {
      return getComputedStyle(section).getPropertyValue("--bbox-c" + colourIndex(label)).trim() || "#0072B2";
    };
    const currentLabel = function () {
      const checked = section.querySelector('input[name="current_label"]:checked');
      return checked ? checked.value : labels[0];
    };

    // Boxes from the server-rendered rows (a restored draft).
    rowsEl.querySelectorAll("tr").forEach(function (row) {
      const label = row.querySelector('[name="box_label"]').value;
      const g = FIELDS.map(function (k) { return Number(row.querySelector('[name="box_' + k + '"]').value); });
      if (g.every(Number.isFinite)) boxes.push({ id: newId(), label: label, x: g[0], y: g[1], w: g[2], h: g[3] });
    });
    rowsEl.textContent = "";

    function toAnnotation(b) {
      return { id: b.id, bodies: [], target: { annotation: b.id, selector: { type: "RECTANGLE", geometry: {
        x: b.x, y: b.y, w: b.w, h: b.h, rot: 0, bounds: { minX: b.x, minY: b.y, maxX: b.x + b.w, maxY: b.y + b.h } } } } };
    }

    function style(annotation, state) {
      const b = byId(annotation.id);
      const c = colour(b ? b.label : labels[0]);
      const selected = state && state.selected;
      return { fill: c, fillOpacity: selected ? 0.18 : 0.08, stroke: c, strokeOpacity: 1, strokeWidth: selected ? 3 : 2 };
    }

    const anno = window.Annotorious.createImageAnnotator(img, {
      drawingEnabled: true, drawingMode: "drag", userSelectAction: "EDIT", style: style,
    });
    anno.setDrawingTool("rectangle");
    const layer = img.parentElement;  // Annotorious wraps the image; our label tags share its coordinates
    layer.classList.add("bbox-layer");
    const drawing = layer.querySelector("svg");
    if (drawing) {  // Annotorious's focusable drawing surface: give it a name and point at the keys
      drawing.setAttribute("aria-label", "Image to annotate, " + W + " by " + H + " pixels. Drag to draw a box; " +
                           "N adds one; the list of boxes below holds their exact pixels.");
      drawing.setAttribute("aria-describedby", "bbox-help");
    }
    const tags = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    tags.setAttribute("class", "bbox-tags");
    tags.setAttribute("viewBox", "0 0 " + W + " " + H);
    tags.setAttribute("aria-hidden", "true");
    layer.appendChild(tags);

    function apply(fn) {
      applying = true;
      try { fn(); } finally { applying = false; }
    }

    // Whole pixels, inside the image, at least 1x1: what is stored is exactly what the list shows.
    function normalise(b) {
      let x = Math.round(b.x), y = Math.round(b.y);
      let w = Math.round(b.x + b.w) - x, h = Math.round(b.y + b.h) - y;
      x = Math.min(Math.max(0, x), W - 1);
      y = Math.min(Math.max(0, y), H - 1);
      w = Math.max(1, Math.min(w, W - x));
      h = Math.max(1, Math.min(h, H - y));
      return { id: b.id, label: b.label, x: x, y: y, w: w, h: h };
    }

    function pull() {  // geometry from Annotorious (drawing, moving, resizing, its own deletes)
      const seen = new Set();
      anno.getAnnotations().forEach(function (a) {
        const g = a.target.selector.geometry;
        seen.add(a.id);
        const b = byId(a.id);
        // Boxes are axis-aligned (what COCO and YOLO store): the editor's rotation handle is hidden (kinds.css),
        // and a rotation that still arrives is undone at the next commit.
        const turned = Boolean(g.rot);
        if (b) { b.x = g.x; b.y = g.y; b.w = g.w; b.h = g.h; b.turned = turned; }
        else boxes.push({ id: a.id, label: currentLabel(), x: g.x, y: g.y, w: g.w, h: g.h, turned: turned });
      });
      boxes = boxes.filter(function (b) { return seen.has(b.id); });
    }

    function snapshot() {
      return JSON.stringify(boxes.map(function (b) { return [b.id, b.label, b.x, b.y, b.w, b.h]; }));
    }

    function restore(snap) {
      boxes = JSON.parse(snap).map(function (r) { return { id: r[0], label: r[1], x: r[2], y: r[3], w: r[4], h: r[5] }; });
      apply(function () { anno.setAnnotations(boxes.map(toAnnotation), true); });
      select(null);
      render();
      FT.changed(form);
    }

    // After every finished change: whole pixels pushed back to the drawing, one undo step, the list redrawn.
    function commit() {
      const changed = [];
      boxes = boxes.map(function (b) {
        const n = normalise(b);
        if (b.turned || n.x !== b.x || n.y !== b.y || n.w !== b.w || n.h !== b.h) changed.push(n);
        return n;
      });
      if (changed.length) apply(function () { changed.forEach(function (b) { anno.updateAnnotation(toAnnotation(b)); }); });
      const snap = snapshot();
      if (undoStack[undoStack.length - 1] !== snap) {
        undoStack.push(snap);
        redoStack.length = 0;
        FT.changed(form);
      }
      render();
    }

    function select(id) {
      selectedId = id && byId(id) ? id : null;
      apply(function () {
        if (selectedId) anno.setSelected(selectedId, true); else anno.cancelSelected();
      });
      renderSelection();
    }

    function renderSelection() {
      rowsEl.querySelectorAll("tr").forEach(function (row) {
        const on = row.dataset.id === selectedId;
        row.classList.toggle("selected", on);
        row.setAttribute("aria-current", on ? "true" : "false");
      });
      buttons["delete"].disabled = !selectedId;
      const b = selectedId && byId(selectedId);
      if (b) {  // the label picker follows the selected box
        const radio = section.querySelector('input[name="current_label"][value="' + CSS.escape(b.label) + '"]');
        if (radio) radio.checked = true;
      }
    }

    function cell(row, index) { return row.children[index]; }

    function buildRow(b) {
      const row = document.createElement("tr");
      row.className = "bbox-row";
      row.dataset.id = b.id;
      const head = document.createElement("th");
      head.scope = "row";
      row.appendChild(head);
      const labelCell = document.createElement("td");
      const select_ = document.createElement("select");
      select_.name = "box_label";
      labels.forEach(function (l) { const o = document.createElement("option"); o.textContent = l; select_.appendChild(o); });
      select_.addEventListener("change", function () { const t = byId(b.id); if (t) { t.label = select_.value; refreshStyle(); commit(); } });
      labelCell.appendChild(select_);
      row.appendChild(labelCell);
      FIELDS.forEach(function (k) {
        const td = document.createElement("td");
        const input = document.createElement("input");
        input.type = "number"; input.name = "box_" + k; input.min = "0"; input.step = "1"; input.inputMode = "numeric";
        input.addEventListener("change", function () {
          const t = byId(b.id);
          const v = Number(input.value);
          if (!t || input.value.trim() === "" || !Number.isFinite(v)) return;
          t[k] = v;
          const n = normalise(t);
          Object.assign(t, n);
          apply(function () { anno.updateAnnotation(toAnnotation(t)); });
          commit();
        });
        td.appendChild(input);
        row.appendChild(td);
      });
      const actions = document.createElement("td");
      const del = document.createElement("button");
      del.type = "button"; del.className = "secondary outline bbox-delete";
      del.textContent = "Delete";
      del.addEventListener("click", function () { remove(b.id); });
      actions.appendChild(del);
      row.appendChild(actions);
      row.addEventListener("focusin", function () { if (selectedId !== b.id) select(b.id); });
      row.addEventListener("click", function (e) { if (e.target === row || e.target.tagName === "TH" || e.target.tagName === "TD") select(b.id); });
      return row;
    }

    function render() {
      const existing = {};
      rowsEl.querySelectorAll("tr").forEach(function (row) { existing[row.dataset.id] = row; });
      boxes.forEach(function (b, i) {
        const row = existing[b.id] || buildRow(b);
        delete existing[b.id];
        if (rowsEl.children[i] !== row) rowsEl.insertBefore(row, rowsEl.children[i] || null);
        const n = i + 1;
        cell(row, 0).textContent = String(n);
        const sel = row.querySelector("select");
        sel.setAttribute("aria-label", "Label of box " + n);
        if (document.activeElement !== sel) sel.value = b.label;
        FIELDS.forEach(function (k) {
          const input = row.querySelector('[name="box_' + k + '"]');
          input.setAttribute("aria-label", "Box " + n + " " + WORDS[k] + " in pixels");
          input.max = String(k === "x" || k === "w" ? W : H);
          if (document.activeElement !== input) input.value = String(Math.round(b[k]));
        });
        row.querySelector(".bbox-delete").setAttribute("aria-label", "Delete box " + n + " (" + b.label + ")");
        row.style.setProperty("--row-colour", colour(b.label));
      });
      Object.keys(existing).forEach(function (id) { existing[id].remove(); });
      document.getElementById("bbox-count").textContent = String(boxes.length);
      document.getElementById("bbox-empty").hidden = boxes.length > 0;
      const none = form.querySelector('[name="nothing_to_box"]');
      if (none) { if (boxes.length) none.checked = false; none.disabled = boxes.length > 0; }
      buttons.undo.disabled = undoStack.length < 2;
      buttons.redo.disabled = !redoStack.length;
      renderTags();
      renderSelection();
    }

    // Each box carries a tag "number label" (the label is never told by colour alone). Tags are laid out so that
    // none hides another: for each box in turn, the first free place among above / inside / below its top-left
    // corner (then its right-hand corners), inside the image; if every place is taken, the least covered one.
    function overlap(a, b) {
      const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      return w > 0 && h > 0 ? w * h : 0;
    }
    function placeTag(b, width, height, placed) {
      const clampX = function (x) { return Math.min(Math.max(0, x), Math.max(0, W - width)); };
      const clampY = function (y) { return Math.min(Math.max(0, y), Math.max(0, H - height)); };
      const left = b.x, right = b.x + b.w - width, top = b.y, bottom = b.y + b.h;
      const spots = [[left, top - height], [left, top], [left, bottom], [left, bottom - height],
                     [right, top - height], [right, top], [right, bottom], [right, bottom - height]];
      let best = null, bestCover = Infinity;
      for (let i = 0; i < spots.length; i++) {
        const spot = { x: clampX(spots[i][0]), y: clampY(spots[i][1]), w: width, h: height };
        const cover = placed.reduce(function (sum, other) { return sum + overlap(spot, other); }, 0);
        if (cover < bestCover) { best = spot; bestCover = cover; }
        if (cover === 0) break;
      }
      return best;
    }

    function renderTags() {
      const size = 13 / zoom, pad = 3 / zoom;
      const placed = [];
      tags.textContent = "";
      boxes.forEach(function (b, i) {
        const g = document.createElementNS(tags.namespaceURI, "g");
        const bg = document.createElementNS(tags.namespaceURI, "rect");
        const t = document.createElementNS(tags.namespaceURI, "text");
        t.setAttribute("font-size", size);
        t.setAttribute("fill", "#fff");
        t.textContent = (i + 1) + " " + b.label;
        g.setAttribute("class", "bbox-tag");
        g.dataset.box = String(i + 1);
        g.appendChild(bg); g.appendChild(t);
        tags.appendChild(g);
        let textWidth = 0;
        try { textWidth = t.getComputedTextLength(); } catch (err) { textWidth = 0; }
        if (!textWidth) textWidth = t.textContent.length * size * 0.6;  // not laid out (hidden): an estimate
        const spot = placeTag(b, textWidth + 2 * pad, size + 2 * pad, placed);
        placed.push(spot);
        bg.setAttribute("x", spot.x); bg.setAttribute("y", spot.y);
        bg.setAttribute("width", spot.w); bg.setAttribute("height", spot.h);
        bg.setAttribute("fill", colour(b.label));
        t.setAttribute("x", spot.x + pad); t.setAttribute("y", spot.y + pad + size * 0.85);
      });
    }

    function refreshStyle() { apply(function () { anno.setStyle(style); }); }

    function remove(id) {
      if (!byId(id)) return;
      apply(function () { anno.removeAnnotation(id); });
      boxes = boxes.filter(function (b) { return b.id !== id; });
      if (selectedId === id) select(null);
      commit();
    }

    function add() {
      const size = Math.max(4, Math.round(Math.min(W, H) * 0.2));
      const cx = (stage.scrollLeft + stage.clientWidth / 2) / zoom, cy = (stage.scrollTop + stage.clientHeight / 2) / zoom;
      const b = normalise({ id: newId(), label: currentLabel(), x: cx - size / 2, y: cy - size / 2, w: size, h: size });
      boxes.push(b);
      apply(function () { anno.addAnnotation(toAnnotation(b)); });
      commit();
      select(b.id);
    }

    function nudge(dx, dy, resize) {
      const b = selectedId && byId(selectedId);
      if (!b) return;
      const n = resize ? normalise({ id: b.id, label: b.label, x: b.x, y: b.y, w: b.w + dx, h: b.h + dy })
                       : normalise({ id: b.id, label: b.label, x: Math.min(Math.max(0, b.x + dx), W - b.w), y: Math.min(Math.max(0, b.y + dy), H - b.h), w: b.w, h: b.h });
      Object.assign(b, n);
      apply(function () { anno.updateAnnotation(toAnnotation(b)); anno.setSelected(b.id, true); });
      commit();
    }

    function step(delta) {
      if (!boxes.length) return;
      const i = boxes.findIndex(function (b) { return b.id === selectedId; });
      const next = i < 0 ? (delta > 0 ? 0 : boxes.length - 1) : (i + delta + boxes.length) % boxes.length;
      select(boxes[next].id);
    }

    function setZoom(z, anchor) {
      const fit = fitZoom();
      z = Math.min(8, Math.max(Math.min(0.1, fit), z));
      if (!(z > 0)) return;
      const rect = stage.getBoundingClientRect();
      const ax = anchor ? anchor.x - rect.left : stage.clientWidth / 2, ay = anchor ? anchor.y - rect.top : stage.clientHeight / 2;
      const ix = (stage.scrollLeft + ax) / zoom, iy = (stage.scrollTop + ay) / zoom;  // image point kept in place
      zoom = z;
      img.style.width = W * z + "px";
      img.style.height = H * z + "px";
      stage.scrollLeft = ix * z - ax;
      stage.scrollTop = iy * z - ay;
      zoomOut.textContent = Math.round(z * 100) + "%";
      section.dataset.zoom = String(z);
      renderTags();
    }

    // The whole image in view without scroll bars: the stage is at most 70% of the window high (kinds.css), less
    // its border.
    // While the page is not laid out (hidden, or a screenshot resizing the window) there is nothing to fit: keep
    // the zoom as it is rather than computing a zero or negative one.
    function fitZoom() {
      const maxH = Math.max(240, window.innerHeight * 0.7) - 4, maxW = section.clientWidth - 4;
      if (!(maxW > 0) || !(W > 0) || !(H > 0)) return zoom;
      return Math.min(2, maxW / W, maxH / H);
    }
    function fit() {
      setZoom(fitZoom());
      stage.scrollLeft = 0;
      stage.scrollTop = 0;
    }

    // --- events -------------------------------------------------------------------------------------------------
    anno.on("createAnnotation", function (a) {
      if (applying) return;
      pull();
      const b = byId(a.id);
      if (b) b.label = currentLabel();
      refreshStyle();
      commit();
      select(a.id);
    });
    anno.on("deleteAnnotation", function () { if (!applying) { pull(); commit(); } });
    anno.on("selectionChanged", function (selected) {
      if (applying) return;
      selectedId = selected && selected.length ? selected[0].id : null;
      renderSelection();
    });
    anno.state.store.observe(function () {
      if (applying) return;
      pull();
      gesture = true;
      renderTags();
    });
    window.addEventListener("pointerup", function () {
      if (!gesture) return;
      gesture = false;
      setTimeout(commit, 0);  // after Annotorious has finished its own pointerup
    });

    section.querySelectorAll('input[name="current_label"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        const b = selectedId && byId(selectedId);
        if (b && radio.checked && b.label !== radio.value) { b.label = radio.value; refreshStyle(); commit(); }
      });
    });

    function undo() {
      if (undoStack.length < 2) return;
      redoStack.push(undoStack.pop());
      restore(undoStack[undoStack.length - 1]);
    }
    function redo() {
      if (!redoStack.length) return;
      const snap = redoStack.pop();
      undoStack.push(snap);
      restore(snap);
    }
    const actions = {
      add: add, delete: function () { if (selectedId) remove(selectedId); }, undo: undo, redo: redo,
      "zoom-in": function () { setZoom(zoom * 1.25); }, "zoom-out": function () { setZoom(zoom / 1.25); },
      fit: function () { fit(); },
    };
    Object.keys(buttons).forEach(function (name) { buttons[name].addEventListener("click", function () { actions[name](); }); });

    function typing(el) {
      return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable ||
                    (el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(el.type)));
    }
    function insideWork(el) { return !el || el === document.body || section.contains(el); }

    // Capture phase: before the frame's keys and before Annotorious's own Ctrl+Z (which would undo only drawing).
    window.addEventListener("keydown", function (e) {
      const t = e.target;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && (e.key === "z" || e.key === "Z" || e.key === "y" || e.key === "Y")) {
        e.stopImmediatePropagation();
        if (typing(t)) return;  // the field's own undo
        e.preventDefault();
        if (e.key === "y" || e.key === "Y" || e.shiftKey) redo(); else undo();
        return;
      }
      if (typing(t) || !insideWork(t) || e.altKey) return;
      const help = document.getElementById("shortcuts-help");
      if (help && help.open) return;
      let handled = true;
      const big = e.shiftKey ? 10 : 1;
      if (/^[1-9]$/.test(e.key) && !mod) {
        const radio = section.querySelector('input[name="current_label"][data-key="' + e.key + '"]');
        if (!radio) return;
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (e.key.startsWith("Arrow") && selectedId) {
        const d = { ArrowLeft: [-big, 0], ArrowRight: [big, 0], ArrowUp: [0, -big], ArrowDown: [0, big] }[e.key];
        nudge(d[0], d[1], mod);
      } else if ((e.key === "Delete" || e.key === "Backspace") && selectedId) {
        remove(selectedId);
      } else if ((e.key === "n" || e.key === "N") && !mod) {
        add();
      } else if (e.key === "]" ) { step(1); }
      else if (e.key === "[") { step(-1); }
      else if ((e.key === "+" || e.key === "=") && !mod) { actions["zoom-in"](); }
      else if (e.key === "-" && !mod) { actions["zoom-out"](); }
      else if (e.key === "0" && !mod) { actions.fit(); }
      else if (e.key === "Escape" && selectedId) { select(null); }
      else handled = false;
      if (handled) { e.preventDefault(); e.stopImmediatePropagation(); }
    }, true);

    // Pan: hold Space and drag (the scroll bars and the wheel work too); Ctrl + wheel zooms around the pointer.
    let panning = null, spaceDown = false;
    window.addEventListener("keydown", function (e) {
      if (e.key === " " && !typing(e.target) && !/^(BUTTON|A|SUMMARY)$/.test((e.target || {}).tagName || "") && insideWork(e.target)) {
        e.preventDefault();
        if (!spaceDown) { spaceDown = true; stage.classList.add("panning"); anno.setDrawingEnabled(false); }
      }
    });
    window.addEventListener("keyup", function (e) {
      if (e.key === " " && spaceDown) { spaceDown = false; stage.classList.remove("panning"); anno.setDrawingEnabled(true); }
    });
    stage.addEventListener("pointerdown", function (e) {
      if (!spaceDown && e.button !== 1) return;
      e.preventDefault(); e.stopPropagation();
      panning = { x: e.clientX, y: e.clientY, left: stage.scrollLeft, top: stage.scrollTop };
      stage.setPointerCapture(e.pointerId);
    }, true);
    stage.addEventListener("pointermove", function (e) {
      if (panning) {
        e.stopPropagation();
        stage.scrollLeft = panning.left - (e.clientX - panning.x);
        stage.scrollTop = panning.top - (e.clientY - panning.y);
        return;
      }
      const r = img.getBoundingClientRect();
      const x = Math.floor((e.clientX - r.left) / zoom), y = Math.floor((e.clientY - r.top) / zoom);
      pointerOut.textContent = x >= 0 && y >= 0 && x < W && y < H ? "Pointer: x " + x + ", y " + y : "";
    }, true);
    stage.addEventListener("pointerup", function (e) { if (panning) { panning = null; e.stopPropagation(); } }, true);
    stage.addEventListener("wheel", function (e) {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      setZoom(zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15), { x: e.clientX, y: e.clientY });
    }, { passive: false });

    apply(function () { anno.setAnnotations(boxes.map(toAnnotation), true); });
    boxes = boxes.map(normalise);
    undoStack.push(snapshot());
    fit();
    render();
    window.addEventListener("resize", function () { if (zoom > fitZoom()) fit(); });
    FT.bbox = { anno: anno, boxes: function () { return boxes; }, zoom: function () { return zoom; }, setZoom: setZoom };
  });
})();
