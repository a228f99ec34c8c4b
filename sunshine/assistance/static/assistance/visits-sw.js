// Service worker of the cadre's visit pages (served as /assistance/visits/sw.js, scope /assistance/visits/).
// It keeps the last copy of each visits page and of the files they use, so that a cadre in a village without signal
// can still open "我的帮扶户" and a visit form they opened before; always the network first, the copy only without one.
// Posting is not handled here: the page's script (visits.js) keeps a visit typed offline and sends it later.
// When the server answers a visits page with a redirect (the session has ended: the login page), every copy is
// deleted — nothing of a signed-out cadre's households stays on the phone.
"use strict";

var CACHE = "sunshine-visits-v1";
var OFFLINE_PAGE = "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">" +
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>没有网络</title></head>" +
  "<body><h1>没有网络</h1><p>此页面尚未保存在手机上。请先在有网络时打开“我的帮扶户”和要走访的农户页面。</p></body></html>";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("sunshine-visits-") === 0 && key !== CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function scopePath() {
  return new URL(self.registration.scope).pathname;
}

function networkFirst(request, navigation) {
  return fetch(request).then(function (response) {
    if (navigation && response.type === "opaqueredirect") {
      return caches.delete(CACHE).then(function () { return response; });
    }
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(request); }).then(function (found) {
      if (found) return found;
      if (navigation) {
        return new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      }
      return Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var scope = scopePath();
  if (request.mode === "navigate") {
    // Photos are served with "no-store" and never kept; the pages are the shell.
    if (url.pathname.indexOf(scope) === 0 && url.pathname.indexOf(scope + "photos/") !== 0) {
      event.respondWith(networkFirst(request, true));
    }
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, false));
  }
});
