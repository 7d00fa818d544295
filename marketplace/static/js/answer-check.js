// Work page answer checks: the kind's answer JSON Schema (sent by the server, built by jobs/answers.py) plus the
// kind's own rules (registered by static/js/kinds/<kind>.js), checked before the form is sent, with the same
// sentences as the server (core/schema.py). The server stays the authority: this only saves a round trip.
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});
  FT.kinds = FT.kinds || {};

  const TYPE_WORDS = { string: "text", integer: "a whole number", number: "a number", boolean: "true or false",
                       object: "an object", array: "a list", null: "empty" };

  function typeOk(type, value) {
    switch (type) {
      case "string": return typeof value === "string";
      case "integer": return typeof value === "number" && Number.isInteger(value);
      case "number": return typeof value === "number" && Number.isFinite(value);
      case "boolean": return typeof value === "boolean";
      case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
      case "array": return Array.isArray(value);
      case "null": return value === null;
      default: return true;
    }
  }

  function join(path, part) {
    if (typeof part === "number") return path + "[" + part + "]";
    return path ? path + "." + part : String(part);
  }

  function depth(path) { return path ? path.split(/\.|\[/).length : 0; }

  function chars(text) { return Array.from(text).length; }  // code points, as Python's len()

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // Every problem as [kind, path, sentence]; the caller orders them as core/schema.py does.
  function walk(schema, value, path, root, out) {
    if (schema.type && !typeOk(schema.type, value)) {
      out.push(["type", path || root, "must be " + (TYPE_WORDS[schema.type] || schema.type)]);
      return;
    }
    if (schema.enum && !schema.enum.some(function (v) { return same(v, value); })) {
      out.push(["enum", path || root, "must be one of: " + schema.enum.join(", ")]);
    }
    if (typeof value === "string") {
      const n = chars(value);
      if (schema.minLength !== undefined && n < schema.minLength) {
        out.push(["minLength", path || root, schema.minLength === 1 ? "must not be empty"
                                                : "must be at least " + schema.minLength + " characters"]);
      }
      if (schema.maxLength !== undefined && n > schema.maxLength) {
        out.push(["maxLength", path || root, "must be at most " + schema.maxLength + " characters"]);
      }
    }
    if (typeof value === "number") {
      if (schema.minimum !== undefined && value < schema.minimum) out.push(["minimum", path || root, "must be at least " + schema.minimum]);
      if (schema.maximum !== undefined && value > schema.maximum) out.push(["maximum", path || root, "must be at most " + schema.maximum]);
    }
    if (Array.isArray(value)) {
      const s = function (n) { return n !== 1 ? "s" : ""; };
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        out.push(["minItems", path || root, "needs at least " + schema.minItems + " item" + s(schema.minItems)]);
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        out.push(["maxItems", path || root, "allows at most " + schema.maxItems + " item" + s(schema.maxItems)]);
      }
      if (schema.uniqueItems && new Set(value.map(function (v) { return JSON.stringify(v); })).size !== value.length) {
        out.push(["uniqueItems", path || root, "must not repeat an item"]);
      }
      if (schema.items) value.forEach(function (item, i) { walk(schema.items, item, join(path, i), root, out); });
    }
    if (typeOk("object", value) && (schema.properties || schema.required)) {
      (schema.required || []).forEach(function (name) {
        if (!(name in value)) out.push(["required", join(path, name), "is required", depth(path)]);
      });
      const props = schema.properties || {};
      if (schema.additionalProperties === false) {
        const extras = Object.keys(value).filter(function (k) { return !(k in props); }).sort();
        if (extras.length) out.push(["additionalProperties", path || root, "has unknown field" + (extras.length > 1 ? "s" : "") + ": " + extras.join(", ")]);
      }
      Object.keys(props).forEach(function (name) {
        if (name in value) walk(props[name], value[name], join(path, name), root, out);
      });
    }
  }

  // {path: sentence}: missing fields first, then shallow problems before deep ones (as the server orders them).
  FT.schemaErrors = function (schema, value, root) {
    const found = [];
    walk(schema, value, "", root || "answer", found);
    found.sort(function (a, b) {
      const da = a[3] !== undefined ? a[3] : depth(a[1]), db = b[3] !== undefined ? b[3] : depth(b[1]);
      return ((a[0] !== "required") - (b[0] !== "required")) || (da - db);
    });
    const errors = {};
    found.forEach(function (e) { if (!(e[1] in errors)) errors[e[1]] = e[2]; });
    return errors;
  };

  // The text rule shared by several kinds: at least n characters once trimmed (jobs/answers.py _written).
  FT.written = function (minChars, text) {
    const length = chars((text || "").trim());
    return length < minChars ? "must be at least " + minChars + " characters (it has " + length + ")" : null;
  };
  FT.chars = chars;

  // The whole check, as validate_answer(): the schema first, the kind's rules only when the shape is right.
  FT.check = function (kind, schema, config, payload, answer) {
    if (!typeOk("object", answer)) return { answer: "must be an object" };
    const errors = FT.schemaErrors(schema, answer, "answer");
    if (Object.keys(errors).length) return errors;
    const module = FT.kinds[kind];
    return module && module.rules ? module.rules(config, payload || {}, answer) : {};
  };

  FT.kindData = function () {
    const el = document.getElementById("kind-data");
    if (!el) return null;
    if (!FT._data) FT._data = JSON.parse(el.textContent);
    return FT._data;
  };

  // Tell the frame something changed that is not a typed input (a drawn box, a reordered list): autosave it.
  FT.changed = function (el) {
    (el || document.getElementById("work-form")).dispatchEvent(new Event("input", { bubbles: true }));
  };

  function showErrors(form, errors, module, focus) {
    const box = document.getElementById("answer-errors");
    form.querySelectorAll("[aria-invalid=true][data-client-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("data-client-invalid");
    });
    const keys = Object.keys(errors);
    if (!box) return;
    box.hidden = !keys.length;
    const list = box.querySelector("ul");
    list.textContent = "";
    keys.forEach(function (key) {
      const li = document.createElement("li");
      const name = module && module.describe ? module.describe(key) : key;
      const target = module && module.fieldFor ? module.fieldFor(form, key) : null;
      if (target) {
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("data-client-invalid", "1");
        const link = document.createElement("a");
        link.href = "#" + (target.id || "");
        link.textContent = name + " " + errors[key];
        link.addEventListener("click", function (e) { e.preventDefault(); target.focus(); });
        li.appendChild(link);
      } else {
        li.textContent = name + " " + errors[key];
      }
      list.appendChild(li);
    });
    if (keys.length && focus) box.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("work-form");
    const data = FT.kindData();
    if (!form || !data) return;
    function problems(module) {
      const answer = module.collect(form, data);
      // Form-only checks first (the server's form reader says the same), then the answer as the service checks it.
      const formErrors = module.formErrors ? module.formErrors(form, data) : {};
      return Object.keys(formErrors).length ? formErrors
        : FT.check(data.kind, data.schema, data.config, data.payload, answer);
    }
    // Capture phase: runs before the frame's own submit handler, which sees defaultPrevented and stays ready.
    form.addEventListener("submit", function (e) {
      const module = FT.kinds[data.kind];
      if (!module || !module.collect) return;
      const errors = problems(module);
      showErrors(form, errors, module, true);
      if (Object.keys(errors).length) e.preventDefault();
    }, true);
    // Once the list is showing, it follows the trainer's corrections (and disappears when all are fixed).
    const recheck = function () {
      const module = FT.kinds[data.kind];
      const box = document.getElementById("answer-errors");
      if (module && module.collect && box && !box.hidden) showErrors(form, problems(module), module, false);
    };
    form.addEventListener("input", recheck);
    form.addEventListener("change", recheck);
  });
})();
