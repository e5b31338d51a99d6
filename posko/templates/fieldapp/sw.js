{% autoescape off %}/* Posko field app service worker (served by posko.fieldapp.views.service_worker).
 * Version {{ version }}. Precaches the app shell and its files; navigations inside the app
 * go to the network first and fall back to the last shell (offline); the app's static files
 * come from the cache. Background Sync ("posko-outbox") sends the outbox from here when the
 * browser supports it; the page keeps its own retry loop for the others. */
"use strict";
const VERSION = "{{ version }}";
const CACHE = "posko-fieldapp-" + VERSION;
const SHELL = "{{ shell }}";
const PRECACHE = {{ precache }};
// Opened offline with no page cached (nobody logged in on this phone since the last logout).
const NO_SHELL = {{ no_shell }};
importScripts("{{ outbox }}");

// A phone's signal drops a request now and then: each file gets three tries (1 s, then 2 s
// apart) before the install gives up. An install that gives up installs nothing (the page
// says so and registers again later); one that succeeds has every file.
async function fetchWithRetry(url, options, attempts = 3) {
  let failure;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, options);
      if (response.ok) return response;
      failure = new Error(url + " answered " + response.status);
    } catch (error) {
      failure = error;
    }
    if (attempt < attempts) await new Promise((done) => setTimeout(done, 1000 * attempt));
  }
  throw failure;
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const responses = await Promise.all(PRECACHE.map((url) => fetchWithRetry(url)));
    const shell = await fetchWithRetry(SHELL, {credentials: "same-origin"});
    const cache = await caches.open(CACHE);
    await Promise.all(responses.map((response, i) => cache.put(PRECACHE[i], response)));
    await keepShell(shell);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("posko-fieldapp-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

async function shellFirstNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    await keepShell(response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(SHELL);
    if (cached) return cached;
    return new Response(NO_SHELL, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
  }
}

// The shell needs the session: kept only if it really is the app (not the login page).
async function keepShell(response) {
  if (response.ok && !response.redirected) await (await caches.open(CACHE)).put(SHELL, response);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shellFirstNetwork(request));
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith((async () => {
      const cached = await caches.match(url.pathname);
      return cached || fetch(request);
    })());
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "posko-outbox") {
    event.waitUntil(self.PoskoOutbox.flush({tokenUrl: "{{ token }}"}).then((result) => {
      if (result && result.retry) throw new Error("outbox: retry later");
    }));
  }
});

self.addEventListener("message", (event) => {
  // A page of Posko with a session asks for this when the app has no page cached (session.js).
  if (event.data === "shell") {
    event.waitUntil(fetch(SHELL, {credentials: "same-origin"}).then(keepShell));
  }
  if (event.data === "flush") {
    event.waitUntil(self.PoskoOutbox.flush({tokenUrl: "{{ token }}"}));
  }
});
{% endautoescape %}
