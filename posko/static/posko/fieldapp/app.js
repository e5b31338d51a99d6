/* Posko field app (posko.fieldapp): shows the forms modules declare (core.field_forms;
 * rendered and read by fields.js), stores each entry on the phone with its Idempotency-Key,
 * capture time and capture position (outbox.js), sends the outbox when there is a signal and
 * shows its state. Every text comes from the page (json_script "fieldapp-strings", rendered
 * in the user's language). */
(function () {
  "use strict";
  const Fields = self.PoskoFields;
  const {$, data, CONFIG, T, el, ROWS} = Fields;  // the page's data, read once by fields.js
  const FORMS = data("fieldapp-forms");
  const Outbox = self.PoskoOutbox;
  const byKey = Object.fromEntries(FORMS.map((f) => [f.key, f]));
  let current = null;

  function renderForm(key) {
    const form = byKey[key];
    if (!form) { show("home"); return; }
    current = form;
    $("[data-form-title]").textContent = form.label;
    $("[data-form-description]").textContent = form.description;
    const node = $("[data-entry]");
    node.replaceChildren(...form.fields.map((f) => Fields.fieldNode(form, f)),
                         el("button", {type: "submit", "data-testid": "save", text: T.save || "OK"}));
    if (window.PoskoScan) window.PoskoScan.enhance(node);
    for (const field of form.fields.filter((f) => ROWS.includes(f.type))) {
      $(`[name="${field.source}"]`).addEventListener("change", () => Fields.renderRows(form, field));
      Fields.renderRows(form, field);
    }
    $("[data-notice]").textContent = "";
    show("form");
    document.documentElement.dataset.formReadyMs = String(performance.now());
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

  async function reopen(key) {
    const entry = await Outbox.get(key);
    const form = entry && byKey[entry.form];
    if (!form) return;
    history.replaceState(null, "", "#form/" + form.key);
    renderForm(form.key);
    Fields.restore(form, entry.body);
    replacing = key;
  }

  async function save(event) {
    event.preventDefault();
    const form = current;
    const body = Fields.collect(form);
    if (!body) return;
    const capturedAt = new Date().toISOString();
    const gps = await position();
    if (form.capture_time) body[form.capture_time] = capturedAt;
    if (gps && form.capture_gps.length === 2) {
      body[form.capture_gps[0]] = gps.lat.toFixed(6);
      body[form.capture_gps[1]] = gps.lon.toFixed(6);
    }
    const created = Date.now();
    const label = form.label + " · " + Fields.describe(form, body);
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
    for (const field of form.fields.filter((f) => ROWS.includes(f.type))) Fields.renderRows(form, field);
    $("[data-notice]").textContent = T.saved;
    await refresh();
    requestSync();
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

  // The service worker is what opens the app without a signal. Its install fails as a whole
  // when a file does not arrive (sw.js tries each three times): the home page says whether the
  // app is ready offline, and the page registers again 5 s, 10 s, 20 s… (at most a minute)
  // later and whenever the signal comes back, until it is.
  let workerReady = false, workerRetry = null, workerTries = 0;
  function offlineState(state) {
    const node = $("[data-offline]");
    node.dataset.state = state;
    node.textContent = T["offline_" + state];
  }

  async function installWorker() {
    if (!("serviceWorker" in navigator) || workerReady) return;
    clearTimeout(workerRetry);
    try {
      const registration = await navigator.serviceWorker.register(CONFIG.sw_url, {scope: CONFIG.scope});
      const worker = registration.installing || registration.waiting;
      if (!registration.active && worker) {
        await new Promise((resolve, reject) => worker.addEventListener("statechange", () => {
          if (worker.state === "activated") resolve();
          if (worker.state === "redundant") reject(new Error("service worker install failed"));
        }));
      }
    } catch (e) {
      if (workerReady) return;
      offlineState("failed");
      workerRetry = setTimeout(installWorker, Math.min(60000, 5000 * 2 ** workerTries++));
    }
  }

  async function persist() {
    const node = $("[data-storage]");
    if (!navigator.storage || !navigator.storage.persist) return;
    const kept = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    node.textContent = kept ? T.persisted : T.not_persisted;
    node.dataset.persisted = kept ? "yes" : "no";
  }

  document.addEventListener("DOMContentLoaded", () => {
    if ("serviceWorker" in navigator) {
      offlineState("preparing");
      navigator.serviceWorker.ready.then(() => { workerReady = true; offlineState("ready"); });
    }
    $("[data-entry]").addEventListener("submit", save);
    $("[data-send-now]").addEventListener("click", () => flush(true));
    $("[data-export]").addEventListener("click", exportUnsent);
    $("[data-entries]").addEventListener("click", async (event) => {
      const data = event.target.dataset || {};
      if (data.reopen) { await reopen(data.reopen); return; }
      if (data.remove && window.confirm(T.remove_confirm)) { await Outbox.remove(data.remove); refresh(); }
    });
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => { network(); installWorker(); flush(true); });
    window.addEventListener("offline", network);
    try { new BroadcastChannel("posko-outbox").onmessage = () => refresh(); } catch (e) { /* old browser */ }
    installWorker();
    network();
    persist();
    route();
    refresh();
    setInterval(() => { if (navigator.onLine) flush(false); }, 3000);
    if (navigator.onLine) flush(false);
    window.poskoField = {flush, refresh, outbox: Outbox};
  });
})();
