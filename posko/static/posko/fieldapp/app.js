/* Posko field app (posko.fieldapp): renders the forms modules declare (core.field_forms),
 * stores each entry on the phone with its Idempotency-Key, capture time and capture position
 * (outbox.js), sends the outbox when there is a signal and shows its state. Every text comes
 * from the page (json_script "fieldapp-strings", rendered in the user's language). */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const FORMS = data("fieldapp-forms");
  const CONFIG = data("fieldapp-config");
  const T = data("fieldapp-strings");
  const Outbox = self.PoskoOutbox;
  const byKey = Object.fromEntries(FORMS.map((f) => [f.key, f]));
  let current = null;

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

  function renderForm(key) {
    const form = byKey[key];
    if (!form) { show("home"); return; }
    current = form;
    $("[data-form-title]").textContent = form.label;
    $("[data-form-description]").textContent = form.description;
    const node = $("[data-entry]");
    node.replaceChildren(...form.fields.map((f) => fieldNode(form, f)),
                         el("button", {type: "submit", "data-testid": "save", text: T.save || "OK"}));
    if (window.PoskoScan) window.PoskoScan.enhance(node);
    for (const field of form.fields.filter((f) => ROWS.includes(f.type))) {
      $(`[name="${field.source}"]`).addEventListener("change", () => renderRows(form, field));
      renderRows(form, field);
    }
    $("[data-notice]").textContent = "";
    show("form");
    document.documentElement.dataset.formReadyMs = String(performance.now());
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

  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) { resolve(null); return; }
      const timer = setTimeout(() => resolve(null), 4000);
      navigator.geolocation.getCurrentPosition(
        (p) => { clearTimeout(timer); resolve({lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy}); },
        () => { clearTimeout(timer); resolve(null); },
        {enableHighAccuracy: true, timeout: 3500, maximumAge: 60000});
    });
  }

  async function resize(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, CONFIG.photo_max_px / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    const sha256 = Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join("");
    return {blob, sha256, width: canvas.width, height: canvas.height};
  }

  function fill(url, body) {
    return url.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(body[name]));
  }

  let replacing = null;  // the rejected entry being corrected: removed once the new one is saved

  function setValue(name, value) {
    const input = $(`[name="${name}"]`);
    if (!input || value === null || value === undefined || input.type === "file") return;
    input.value = String(value);
    if (input.tagName === "SELECT") input.dispatchEvent(new Event("change"));
  }

  async function reopen(key) {
    const entry = await Outbox.get(key);
    const form = entry && byKey[entry.form];
    if (!form) return;
    history.replaceState(null, "", "#form/" + form.key);
    renderForm(form.key);
    for (const field of form.fields) {
      const value = entry.body[field.name];
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
    replacing = key;
  }

  async function save(event) {
    event.preventDefault();
    const form = current;
    const body = collect(form);
    if (!body) return;
    const capturedAt = new Date().toISOString();
    const gps = await position();
    if (form.capture_time) body[form.capture_time] = capturedAt;
    if (gps && form.capture_gps.length === 2) {
      body[form.capture_gps[0]] = gps.lat.toFixed(6);
      body[form.capture_gps[1]] = gps.lon.toFixed(6);
    }
    const created = Date.now();
    const label = form.label + " · " + describe(form, body);
    const main = {key: crypto.randomUUID(), form: form.key, label, url: fill(form.url, body), body,
                  captured_at: capturedAt, gps, created, seq: 0, help: form.rejected_help,
                  user: CONFIG.user};
    const entries = [main];
    for (const field of form.fields.filter((f) => f.type === "photo")) {
      const input = $(`[name="${field.name}"]`);
      if (!input.files || !input.files.length) continue;
      const photo = await resize(input.files[0]);
      const fields = {};
      for (const [from, to] of Object.entries(field.upload.fields || {})) fields[to] = body[from];
      entries.push({key: crypto.randomUUID(), form: form.key, label: T.photo_of + " · " + label,
                    url: fill(field.upload.url, body), body: fields, captured_at: capturedAt, gps,
                    created, seq: 1, help: form.rejected_help, user: CONFIG.user,
                    file: {field: field.upload.file_field, name: "foto.jpg", blob: photo.blob,
                           sha256: photo.sha256, size: photo.blob.size}});
    }
    for (const entry of entries) await Outbox.add(entry);
    if (replacing) { await Outbox.remove(replacing); replacing = null; }
    $("[data-entry]").reset();
    for (const field of form.fields.filter((f) => ROWS.includes(f.type))) renderRows(form, field);
    $("[data-notice]").textContent = T.saved;
    await refresh();
    requestSync();
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

  const STATE_TEXT = () => ({pending: T.pending, sent: T.sent, rejected: T.rejected, login: T.login});

  async function refresh() {
    const entries = await Outbox.all();
    $("[data-count]").textContent = String(entries.filter((e) => e.state !== "sent").length);
    const list = $("[data-entries]");
    if (!entries.length) { list.replaceChildren(el("li", {text: T.empty_outbox})); return; }
    list.replaceChildren(...entries.slice().reverse().map((entry) => {
      const item = el("li", {class: "entry " + entry.state, "data-state": entry.state, "data-key": entry.key,
                             "data-testid": "entry"}, [
        el("b", {text: entry.label + (entry.user && entry.user !== CONFIG.user ? ` (${entry.user})` : "")}),
        el("span", {class: "badge", "data-testid": "state", text: STATE_TEXT()[entry.state] || entry.state}),
        el("small", {text: `${T.captured}: ${new Date(entry.captured_at).toLocaleString()} · ` +
                           (entry.gps ? `${T.gps}: ${entry.gps.lat.toFixed(5)}, ${entry.gps.lon.toFixed(5)}` : T.no_gps) +
                           (entry.attempts ? ` · ${T.attempts}: ${entry.attempts}` : "")})]);
      if (entry.state === "rejected") {
        item.append(el("p", {class: "reason", "data-testid": "reason", text: entry.reason}));
        if (entry.help) item.append(el("p", {class: "help", text: T.what_to_do + ": " + entry.help}));
        if (byKey[entry.form] && !entry.file) {
          item.append(el("button", {type: "button", class: "link", "data-reopen": entry.key,
                                    "data-testid": "reopen", text: T.reopen}));
        }
      }
      if (entry.state !== "sent") {
        const button = el("button", {type: "button", class: "link", "data-remove": entry.key, text: T.remove});
        item.append(button);
      }
      return item;
    }));
  }

  let flushing = false;
  async function flush(force) {
    if (flushing) return;
    flushing = true;
    try {
      await Outbox.flush({tokenUrl: CONFIG.token_url, force});
    } finally {
      flushing = false;
      await refresh();
    }
  }

  async function requestSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("posko-outbox");
    } catch (e) { /* no Background Sync: the page's loop sends */ }
    if (navigator.onLine) flush(true);
  }

  async function exportUnsent() {
    const entries = (await Outbox.all()).filter((e) => e.state !== "sent");
    const out = [];
    for (const entry of entries) {
      const copy = Object.assign({}, entry);
      if (entry.file && entry.file.blob) {
        copy.file = Object.assign({}, entry.file, {blob: await new Promise((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result);
          reader.readAsDataURL(entry.file.blob);
        })});
      }
      out.push(copy);
    }
    const blob = new Blob([JSON.stringify({user: CONFIG.user, exported_at: new Date().toISOString(),
                                           entries: out}, null, 1)], {type: "application/json"});
    const link = el("a", {href: URL.createObjectURL(blob), download: `posko-outbox-${CONFIG.user}-${Date.now()}.json`});
    document.body.append(link);
    link.click();
    link.remove();
    $("[data-notice]").textContent = T.exported.replace("%(n)s", String(out.length));
  }

  function show(view) {
    document.querySelectorAll("[data-view]").forEach((s) => { s.hidden = s.dataset.view !== view; });
    if (view === "outbox") refresh();
  }

  function route() {
    const hash = location.hash.replace(/^#/, "");
    if (hash.startsWith("form/")) renderForm(hash.slice(5));
    else if (hash === "outbox") show("outbox");
    else show("home");
  }

  function network() {
    const node = $("[data-net]");
    node.textContent = navigator.onLine ? T.online : T.offline;
    node.dataset.state = navigator.onLine ? "online" : "offline";
  }

  async function persist() {
    const node = $("[data-storage]");
    if (!navigator.storage || !navigator.storage.persist) return;
    const kept = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    node.textContent = kept ? T.persisted : T.not_persisted;
    node.dataset.persisted = kept ? "yes" : "no";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("[data-entry]").addEventListener("submit", save);
    $("[data-send-now]").addEventListener("click", () => flush(true));
    $("[data-export]").addEventListener("click", exportUnsent);
    $("[data-entries]").addEventListener("click", async (event) => {
      const data = event.target.dataset || {};
      if (data.reopen) { await reopen(data.reopen); return; }
      if (data.remove && window.confirm(T.remove_confirm)) { await Outbox.remove(data.remove); refresh(); }
    });
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { network(); flush(true); });
    window.addEventListener("offline", network);
    try { new BroadcastChannel("posko-outbox").onmessage = () => refresh(); } catch (e) { /* old browser */ }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(CONFIG.sw_url, {scope: CONFIG.scope}).catch(() => {});
    }
    network();
    persist();
    route();
    refresh();
    setInterval(() => { if (navigator.onLine) flush(false); }, 3000);
    if (navigator.onLine) flush(false);
    window.poskoField = {flush, refresh, outbox: Outbox};
  });
})();
