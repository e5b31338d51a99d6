/* Posko field app: the entry form of one declared form (core.field_forms) — rendered from its
 * fields, read back into the body sent to the API (with the missing required fields named),
 * filled again from a saved entry, and described in a line. Shared by app.js as
 * self.PoskoFields; every text comes from the page (json_script "fieldapp-strings"). */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const CONFIG = data("fieldapp-config");
  const T = data("fieldapp-strings");

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  const ROWS = ["votes", "lines", "checks"];  // fields with a row per item of a chosen record

  function options(form, field) {
    if (field.type === "tps") return CONFIG.tps;
    if (field.choices) return field.choices;
    return (form.data && form.data[field.options]) || [];
  }

  function select(name, choices, required, value) {
    const node = el("select", {name, id: "f-" + name, required});
    if (!choices.some((c) => String(c[0]) === "")) node.append(el("option", {value: "", text: T.choose}));
    for (const [v, label] of choices) {
      node.append(el("option", {value: v, text: label, selected: String(v) === String(value ?? "")}));
    }
    return node;
  }

  function numberInput(name, min, max, value) {
    return el("input", {type: "number", inputmode: "numeric", name, id: "f-" + name, min, max, step: 1,
                        value: value ?? null});
  }

  function fieldNode(form, field) {
    const wrap = el("div", {class: "field", "data-field": field.name});
    const label = el("label", {for: "f-" + field.name, text: field.label + (field.required ? " *" : "")});
    let input;
    if (field.type === "hidden") return el("input", {type: "hidden", name: field.name, value: field.default});
    if (field.type === "tps" || field.type === "choice") {
      input = select(field.name, options(form, field), field.required, field.default);
    } else if (field.type === "int") {
      input = numberInput(field.name, field.min, field.max, field.default);
    } else if (field.type === "multi") {  // checkboxes: none, one or several options
      input = el("div", {class: "rows", id: "f-" + field.name}, options(form, field).map(([v, text]) =>
        el("label", {class: "row"}, [el("input", {type: "checkbox", name: field.name, value: v}),
                                     el("span", {text})])));
    } else if (field.type === "datetime") {
      input = el("input", {type: "datetime-local", name: field.name, id: "f-" + field.name});
    } else if (field.type === "textarea") {
      input = el("textarea", {name: field.name, id: "f-" + field.name, rows: 3});
    } else if (field.type === "photo") {
      input = el("input", {type: "file", name: field.name, id: "f-" + field.name, accept: "image/*",
                           capture: "environment"});
    } else if (ROWS.includes(field.type)) {
      input = el("div", {class: "rows", "data-rows": field.name, id: "f-" + field.name});
    } else {
      input = el("input", {type: "text", name: field.name, id: "f-" + field.name});
    }
    if (field.scan) {  // the camera button of scan.js (typed entry stays possible)
      input.setAttribute("data-scan", field.scan);
      if (field.type === "textarea") input.setAttribute("data-scan-append", "");
    }
    wrap.append(label, input);
    if (field.help) wrap.append(el("small", {text: field.help}));
    wrap.append(el("span", {class: "error", "data-error": field.name}));
    return wrap;
  }

  function renderRows(form, field) {
    const box = $(`[data-rows="${field.name}"]`);
    const picked = $(`[name="${field.source}"]`).value;
    const all = (form.data && form.data[field.options]) || {};
    box.replaceChildren();
    if (field.type === "votes") {
      for (const [number, name] of all[picked] || []) {
        box.append(el("label", {class: "row"}, [el("span", {text: number + ". " + name}),
          numberInput(`${field.name}.${number}`, 0, 100000)]));
      }
    } else if (field.type === "checks") {  // an answer among field.choices per item
      for (const [item, name] of all[picked] || []) {
        const answer = select(`${field.name}.${item}`, [["", "—"], ...field.choices], false, "");
        answer.setAttribute("aria-label", name);
        box.append(el("label", {class: "row check", "data-item": item}, [el("span", {text: name}), answer]));
      }
    } else {
      const record = all[picked];
      for (const [item, name, expected] of (record && record.lines) || []) {
        box.append(el("div", {class: "row line", "data-item": item}, [
          el("span", {text: `${name} (${T.dispatched}: ${expected})`}),
          el("label", {text: T.received}, [numberInput(`${field.name}.${item}.received`, 0, 1000000, expected)]),
          el("label", {text: T.damaged}, [numberInput(`${field.name}.${item}.damaged`, 0, 1000000, 0)])]));
      }
    }
  }

  function fail(name, message) {
    const slot = $(`[data-error="${name}"]`);
    if (slot) slot.textContent = message;
    return false;
  }

  function readNumber(name) {
    const input = $(`[name="${name}"]`);
    if (!input || input.value.trim() === "") return null;
    return Number(input.value);
  }

  function collect(form) {
    const body = {};
    let ok = true;
    document.querySelectorAll("[data-error]").forEach((n) => { n.textContent = ""; });
    for (const field of form.fields) {
      if (field.type === "photo") continue;
      if (ROWS.includes(field.type)) {
        const picked = $(`[name="${field.source}"]`).value;
        if (field.type === "checks") {
          body[field.name] = ((form.data[field.options] || {})[picked] || [])
            .map(([item]) => ({item, answer: $(`[name="${field.name}.${item}"]`).value}))
            .filter((row) => row.answer !== "");
          if (field.required && !body[field.name].length) ok = fail(field.name, T.required);
        } else if (field.type === "votes") {
          const votes = {};
          for (const [number] of (form.data[field.options] || {})[picked] || []) {
            const value = readNumber(`${field.name}.${number}`);
            if (value === null) ok = fail(field.name, T.required); else votes[number] = value;
          }
          body[field.name] = votes;
        } else {
          const record = (form.data[field.options] || {})[picked];
          body[field.name] = ((record && record.lines) || []).map(([item]) => ({
            item, received: readNumber(`${field.name}.${item}.received`) ?? 0,
            damaged: readNumber(`${field.name}.${item}.damaged`) ?? 0}));
          if (record) body.version = record.version;
        }
        continue;
      }
      if (field.type === "multi") {
        const picked = [...document.querySelectorAll(`[name="${field.name}"]:checked`)].map((n) => n.value);
        if (picked.length) body[field.name] = picked; else if (field.required) ok = fail(field.name, T.required);
        continue;
      }
      const input = $(`[name="${field.name}"]`);
      let value = input ? input.value.trim() : "";
      if (value === "" && field.required) { ok = fail(field.name, T.required); continue; }
      if (field.type === "int") {
        if (value === "") continue;
        value = Number(value);
      } else if (field.type === "tps" && value !== "") {
        value = Number(value);
      } else if (field.type === "datetime" && value !== "") {
        value = new Date(value).toISOString();  // the phone's local time, sent with its zone
      } else if (value === "") {
        continue;  // left blank: the server's default
      }
      body[field.name] = value;
    }
    return ok ? body : null;
  }

  function setValue(name, value) {
    const input = $(`[name="${name}"]`);
    if (!input || value === null || value === undefined || input.type === "file") return;
    input.value = String(value);
    if (input.tagName === "SELECT") input.dispatchEvent(new Event("change"));
  }

  function describe(form, body) {
    const parts = [];
    for (const field of form.fields) {
      if ((field.type === "tps" || field.type === "choice") && body[field.name] !== undefined && body[field.name] !== "") {
        const match = options(form, field).find((c) => String(c[0]) === String(body[field.name]));
        if (match) parts.push(match[1]);
        if (parts.length >= 2) break;
      }
    }
    return parts.join(" · ");
  }

  function restore(form, body) {  // a saved entry's values back into its rendered form
    for (const field of form.fields) {
      const value = body[field.name];
      if (value === undefined || field.type === "photo") continue;
      if (field.type === "votes") {
        for (const [number, count] of Object.entries(value)) setValue(`${field.name}.${number}`, count);
      } else if (field.type === "multi") {
        document.querySelectorAll(`[name="${field.name}"]`).forEach((n) => { n.checked = value.includes(n.value); });
      } else if (field.type === "datetime") {
        const local = new Date(new Date(value).getTime() - new Date(value).getTimezoneOffset() * 60000);
        setValue(field.name, local.toISOString().slice(0, 16));
      } else if (field.type === "checks") {
        for (const row of value) setValue(`${field.name}.${row.item}`, row.answer);
      } else if (field.type === "lines") {
        for (const line of value) {
          setValue(`${field.name}.${line.item}.received`, line.received);
          setValue(`${field.name}.${line.item}.damaged`, line.damaged);
        }
      } else {
        setValue(field.name, value);
      }
    }
  }

  self.PoskoFields = {$, data, CONFIG, T, el, ROWS, fieldNode, renderRows, collect, restore,
                      describe};
})();
