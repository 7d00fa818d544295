// Bounding boxes: Annotorious draws, moves and resizes rectangles on the image; this module owns the boxes (in
// IMAGE pixels whatever the zoom), their labels (digits) and tags, keyboard editing, and an undo stack of whole
// snapshots (so label and number edits undo like drawing). The list of boxes as form fields is bbox-list.js, zoom
// and pan bbox-viewport.js (both loaded before this file).
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
    const buttons = {};
    section.querySelectorAll("[data-action]").forEach(function (b) { buttons[b.dataset.action] = b; });
    section.querySelectorAll(".no-js-only").forEach(function (el) { el.remove(); });
    section.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    let seq = 0;
    let boxes = [];
    let selectedId = null;
    let applying = false;
    let gesture = false;
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

    const list = FT.bboxList({
      rows: rowsEl, labels: labels, width: W, height: H, colour: colour,
      onLabel: function (id, label) { const t = byId(id); if (t) { t.label = label; refreshStyle(); commit(); } },
      onNumber: function (id, key, value) {
        const t = byId(id);
        if (!t) return;
        t[key] = value;
        Object.assign(t, normalise(t));
        apply(function () { anno.updateAnnotation(toAnnotation(t)); });
        commit();
      },
      onDelete: function (id) { remove(id); },
      onSelect: function (id) { if (selectedId !== id) select(id); },
    });
    // Boxes from the server-rendered rows (a restored draft).
    list.read().forEach(function (b) { boxes.push(Object.assign({ id: newId() }, b)); });

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

    const view = FT.bboxViewport({
      section: section, stage: stage, img: img, width: W, height: H,
      zoomOut: document.getElementById("bbox-zoom-level"), pointerOut: document.getElementById("bbox-pointer"),
      onZoom: function () { renderTags(); },
      setDrawing: function (enabled) { anno.setDrawingEnabled(enabled); },
      canPan: function (t) {
        return !typing(t) && !/^(BUTTON|A|SUMMARY)$/.test((t || {}).tagName || "") && insideWork(t);
      },
    });

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
      list.select(selectedId);
      buttons["delete"].disabled = !selectedId;
      const b = selectedId && byId(selectedId);
      if (b) {  // the label picker follows the selected box
        const radio = section.querySelector('input[name="current_label"][value="' + CSS.escape(b.label) + '"]');
        if (radio) radio.checked = true;
      }
    }

    function render() {
      list.render(boxes);
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
      const zoom = view.zoom();
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
      const c = view.centre();
      const b = normalise({ id: newId(), label: currentLabel(), x: c.x - size / 2, y: c.y - size / 2, w: size, h: size });
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
      "zoom-in": function () { view.zoomIn(); }, "zoom-out": function () { view.zoomOut(); },
      fit: function () { view.fit(); },
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

    apply(function () { anno.setAnnotations(boxes.map(toAnnotation), true); });
    boxes = boxes.map(normalise);
    undoStack.push(snapshot());
    view.fit();
    render();
    FT.bbox = { anno: anno, boxes: function () { return boxes; }, zoom: view.zoom, setZoom: view.setZoom };
  });
})();
