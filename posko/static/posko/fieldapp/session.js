/* The field app's cached page (what the service worker opens without a signal) is the page of
 * the user who loaded it: their name, their TPS, their forms. This runs on every Posko page
 * (core.shell.register_head):
 * - on a page without a session (logged out, or the session ended): that page leaves the
 *   phone, so the next person cannot open someone else's app offline. The outbox stays:
 *   unsent entries wait for their own user to log in again.
 * - on a page with a session: when the app is installed here but has no page cached, the
 *   service worker fetches this user's now, so the app opens offline after a new login too. */
(function () {
  "use strict";
  const script = document.currentScript;
  const shell = script.dataset.shell;
  if (!("serviceWorker" in navigator) || !self.caches) return;
  if (script.dataset.session === "out") {
    caches.keys().then((keys) => Promise.all(keys.filter((key) => key.startsWith("posko-fieldapp-"))
      .map((key) => caches.open(key).then((cache) => cache.delete(shell)))));
    return;
  }
  navigator.serviceWorker.getRegistration(shell).then(async (registration) => {
    if (!registration || !registration.active || await caches.match(shell)) return;
    registration.active.postMessage("shell");
  });
})();
