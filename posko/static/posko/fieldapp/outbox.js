/* Posko field app: the outbox on the phone (IndexedDB), shared by the page (app.js) and the
 * service worker (Background Sync). Every entry carries the Idempotency-Key made when it was
 * captured; it is sent again and again under that key until the server answers, so the
 * server stores it once. Entries go one at a time, oldest first. Answers:
 *   2xx                      -> sent (kept on the phone, marked "sent")
 *   400/403/404/413/422,
 *   409 naming a version     -> rejected, with the server's reason (never dropped)
 *   401 (session ended)      -> waits, "log in again"
 *   network error, 5xx, 429,
 *   409 "still processing"   -> waits, tried again with exponential backoff
 * A file larger than the server's threshold (the token's "uploads": over, chunk, url) first
 * goes to the resumable route (core.resumable) in chunks: the upload's id is kept on the entry,
 * so after a dropped connection the next attempt asks the offset received so far (HEAD) and
 * continues from there; the form is then posted with upload=<id> under the same key.
 */
(function (global) {
  "use strict";
  const DB_NAME = "posko-fieldapp";
  const STORE = "outbox";
  const MAX_DELAY = 5 * 60 * 1000;
  const BASE_DELAY = 2000;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  let dbPromise = null;
  function open() {
    if (!dbPromise) {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore(STORE, {keyPath: "key"});
        store.createIndex("created", "created");
      };
      dbPromise = request(req);
    }
    return dbPromise;
  }

  async function store(mode) {
    const db = await open();
    return db.transaction(STORE, mode).objectStore(STORE);
  }

  async function put(entry) { return request((await store("readwrite")).put(entry)); }
  async function get(key) { return request((await store("readonly")).get(key)); }
  async function remove(key) { await request((await store("readwrite")).delete(key)); changed(); }
  async function all() {
    const rows = await request((await store("readonly")).index("created").getAll());
    return rows.sort((a, b) => a.created - b.created || a.seq - b.seq);
  }

  function changed() {
    try { new BroadcastChannel("posko-outbox").postMessage("changed"); } catch (e) { /* old browser */ }
  }

  async function add(entry) {
    const row = Object.assign({state: "pending", attempts: 0, next_at: 0, reason: "",
                               created: Date.now(), seq: 0}, entry);
    await put(row);
    changed();
    return row;
  }

  function delay(attempts) {
    const full = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, attempts));
    return Math.round(full * (0.5 + Math.random() / 2));
  }

  function reasonOf(status, body) {
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") return body.detail;
      const parts = [];
      for (const [field, messages] of Object.entries(body)) {
        const text = Array.isArray(messages) ? messages.map((m) => typeof m === "string" ? m : JSON.stringify(m)).join(" ")
          : (typeof messages === "string" ? messages : JSON.stringify(messages));
        parts.push(field === "non_field_errors" ? text : field + ": " + text);
      }
      if (parts.length) return parts.join("; ");
    }
    return "HTTP " + status;
  }

  function classify(status, body) {
    if (status >= 200 && status < 300) return "sent";
    if (status === 401) return "login";
    if (status === 409) {
      // A ConflictError names the current version; the idempotency layer's "still being
      // processed" does not and is only a matter of waiting.
      return body && typeof body === "object" && "current_version" in body ? "rejected" : "retry";
    }
    if (status === 408 || status === 429 || status >= 500) return "retry";
    return "rejected";
  }

  async function answerOf(response) {
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {status: response.status, body: data};
  }

  // Sends entry.file.blob in chunks; returns null once the server holds the whole file (its
  // id in entry.file.upload), or the answer to give the entry when the server refused.
  async function upload(entry, csrf, uploads) {
    const file = entry.file;
    // Complete already: the form goes with the same id (a replay of a form the server took
    // is answered from the Idempotency-Key; the upload itself is gone by then).
    if (file.upload && file.uploaded) return null;
    const common = {"X-CSRFToken": csrf, "Accept": "application/json"};
    const fetchOpts = {credentials: "same-origin", redirect: "manual", cache: "no-store"};
    let offset = 0;
    if (file.upload) {
      const head = await fetch(file.upload_url, Object.assign({method: "HEAD", headers: common}, fetchOpts));
      if (head.type === "opaqueredirect") return {status: 401, body: null};
      if (head.ok) offset = parseInt(head.headers.get("Upload-Offset") || "0", 10);
      else if (head.status === 404) file.upload = null;  // expired or purged: start again
      else return {status: head.status, body: null};
    }
    if (!file.upload) {
      const made = await fetch(uploads.url, Object.assign({method: "POST", body: JSON.stringify(
        {size: file.blob.size, sha256: file.sha256, name: file.name}),
        headers: Object.assign({"Content-Type": "application/json"}, common)}, fetchOpts));
      if (made.type === "opaqueredirect") return {status: 401, body: null};
      const answer = await answerOf(made);
      if (made.status !== 201) return answer;
      file.upload = answer.body.id;
      file.upload_url = answer.body.url;
      await put(entry);  // a later attempt continues this upload
    }
    while (offset < file.blob.size) {
      const chunk = file.blob.slice(offset, offset + uploads.chunk);
      const sent = await fetch(file.upload_url, Object.assign({method: "PATCH", body: chunk,
        headers: Object.assign({"Content-Type": "application/offset+octet-stream",
                                "Upload-Offset": String(offset)}, common)}, fetchOpts));
      if (sent.type === "opaqueredirect") return {status: 401, body: null};
      const answer = await answerOf(sent);
      if (sent.status === 409 && answer.body && typeof answer.body.offset === "number") {
        offset = answer.body.offset;  // the server has another part: go on from there
        continue;
      }
      if (sent.status === 422 || sent.status === 404) file.upload = null;  // damaged or expired
      if (sent.status === 404) {  // purged meanwhile: a new upload on the next attempt
        await put(entry);
        return {status: 503, body: {detail: "upload expired; it starts again"}};
      }
      if (!sent.ok) { await put(entry); return answer; }
      offset = answer.body.offset;
    }
    file.uploaded = true;
    await put(entry);
    return null;
  }

  async function send(entry, csrf, uploads) {
    const headers = {"Idempotency-Key": entry.key, "X-CSRFToken": csrf, "Accept": "application/json"};
    let body;
    if (entry.file) {
      body = new FormData();
      for (const [name, value] of Object.entries(entry.body || {})) body.append(name, value);
      if (uploads && uploads.url && (entry.file.upload || entry.file.blob.size > uploads.over)) {
        const refused = await upload(entry, csrf, uploads);
        if (refused) return refused;
        body.append("upload", entry.file.upload);
      } else {
        body.append(entry.file.field, entry.file.blob, entry.file.name);
      }
      if (entry.file.sha256) headers["X-Content-SHA256"] = entry.file.sha256;
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(entry.body);
    }
    const response = await fetch(entry.url, {method: "POST", headers, body, credentials: "same-origin",
                                            redirect: "manual", cache: "no-store"});
    if (response.type === "opaqueredirect") return {status: 401, body: null};
    return answerOf(response);
  }

  async function token(tokenUrl) {
    const response = await fetch(tokenUrl, {credentials: "same-origin", cache: "no-store",
                                            redirect: "manual", headers: {"Accept": "application/json"}});
    if (response.type === "opaqueredirect" || response.status === 401) return {login: true};
    if (!response.ok) throw new Error("token: HTTP " + response.status);
    const body = await response.json();
    return {csrf: body.csrf, user: body.user, uploads: body.uploads};
  }

  async function flushNow(options) {
    const now = Date.now();
    const due = (await all()).filter((e) => e.state === "pending" || e.state === "login");
    const waiting = due.filter((e) => options.force || !e.next_at || e.next_at <= now);
    if (!waiting.length) return {sent: 0, retry: due.length > 0};
    let auth;
    try {
      auth = await token(options.tokenUrl);
    } catch (error) {
      return {sent: 0, retry: true, offline: true};
    }
    if (auth.login) {
      for (const entry of waiting) { entry.state = "login"; await put(entry); }
      changed();
      return {sent: 0, retry: true, login: true};
    }
    let sent = 0;
    for (const entry of waiting) {
      if (entry.user && auth.user && entry.user !== auth.user) {
        // Made by someone else on this phone: sent only under their own session.
        if (entry.state !== "login") { entry.state = "login"; await put(entry); changed(); }
        continue;
      }
      let answer;
      try {
        answer = await send(entry, auth.csrf, auth.uploads);
      } catch (error) {
        entry.attempts += 1;
        entry.state = "pending";
        entry.next_at = Date.now() + delay(entry.attempts);
        await put(entry);
        changed();
        return {sent, retry: true, offline: true};  // no signal: the rest waits with it
      }
      const outcome = classify(answer.status, answer.body);
      entry.attempts += 1;
      entry.last_status = answer.status;
      if (outcome === "sent") {
        entry.state = "sent";
        entry.sent_at = new Date().toISOString();
        entry.response = answer.body && typeof answer.body === "object"
          ? {id: answer.body.id || answer.body.tps || null, code: answer.body.code || null} : null;
        if (entry.file) entry.file = Object.assign({}, entry.file, {blob: null});  // free the space
        sent += 1;
      } else if (outcome === "rejected") {
        entry.state = "rejected";
        entry.reason = reasonOf(answer.status, answer.body);
      } else if (outcome === "login") {
        entry.state = "login";
      } else {
        entry.state = "pending";
        entry.next_at = Date.now() + delay(entry.attempts);
        entry.reason = reasonOf(answer.status, answer.body);
        await put(entry);
        changed();
        return {sent, retry: true};
      }
      await put(entry);
      changed();
    }
    return {sent, retry: false};
  }

  async function flush(options) {
    options = options || {};
    if (global.navigator && navigator.locks) {
      return navigator.locks.request("posko-outbox", () => flushNow(options));
    }
    return flushNow(options);
  }

  global.PoskoOutbox = {open, add, all, get, put, remove, flush, classify, reasonOf, delay};
})(self);
