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
importScripts("{{ outbox }}");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE);
    // The shell needs the session: cached only if it really is the app (not the login page).
    const response = await fetch(SHELL, {credentials: "same-origin"});
    if (response.ok && !response.redirected) await cache.put(SHELL, response);
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
    if (response.ok && !response.redirected) {
      await cache.put(SHELL, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(SHELL);
    if (cached) return cached;
    throw error;
  }
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
  if (event.data === "flush") {
    event.waitUntil(self.PoskoOutbox.flush({tokenUrl: "{{ token }}"}));
  }
});
{% endautoescape %}
