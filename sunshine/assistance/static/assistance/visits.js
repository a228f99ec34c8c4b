// The cadre's visit pages (sunshine/assistance/visits/): a visit typed without a network is kept on the phone
// (IndexedDB: its fields and its photos as Blobs, under a client id) and sent when the phone is back online — on the
// "online" event and on every load of a visits page. The server treats a resent client id as the same visit.
// Without this script the form posts as an ordinary form. No framework; no inline code (the CSP forbids it).
(function () {
  "use strict";

  var DB_NAME = "sunshine-visits";
  var STORE = "queue";
  var app = document.getElementById("visit-app");
  if (!app) return;
  var statusBox = app.querySelector(".visit-status");
  var pendingBox = app.querySelector(".visit-pending");
  var form = document.querySelector("form[data-visit-form]");
  var flushing = false;
  var LOGIN_AGAIN = "登录已过期:走访记录已保存在手机上,请重新登录,登录后自动上传";

  // ---- the service worker: keeps the visits pages' shell for opening them without a network --------------------
  if ("serviceWorker" in navigator && app.dataset.sw) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: app.dataset.scope }).catch(function () {
      // Plain http on an intranet address: no service worker; the queue below still works on an open page.
    });
  }

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "visit-status " + (kind || "");
    statusBox.hidden = !text;
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // A version 4 UUID; crypto.randomUUID exists only on https pages, getRandomValues everywhere.
  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ---- IndexedDB -------------------------------------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "uuid" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function queued() { return withStore("readonly", function (s) { return s.getAll(); }); }
  function keep(item) { return withStore("readwrite", function (s) { s.put(item); }); }
  function drop(uuid) { return withStore("readwrite", function (s) { s.delete(uuid); }); }

  // ---- what is waiting on the phone --------------------------------------------------------------------------------
  function showPending() {
    return queued().then(function (items) {
      pendingBox.textContent = "";
      pendingBox.hidden = items.length === 0;
      if (!items.length) return items;
      pendingBox.appendChild(document.createTextNode("手机上有 " + items.length + " 条走访记录待上传:"));
      var list = document.createElement("ul");
      items.forEach(function (item) {
        var line = document.createElement("li");
        line.textContent = item.label + " " + item.date + (item.error ? "(上传未成功:" + item.error + ")" : "");
        if (item.error) {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "link-dark";
          remove.textContent = "删除";
          remove.addEventListener("click", function () { drop(item.uuid).then(showPending); });
          line.appendChild(document.createTextNode(" "));
          line.appendChild(remove);
        }
        list.appendChild(line);
      });
      pendingBox.appendChild(list);
      return items;
    }).catch(function () { return []; });
  }

  // ---- sending -----------------------------------------------------------------------------------------------------
  // Resolves to {sent: true, data} on success, {invalid: messages} when the server refused the content, or rejects
  // when the network or the session is not there (the visit stays where it is).
  function send(action, body) {
    return fetch(action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (json && response.ok) return response.json().then(function (data) { return { sent: true, data: data }; });
      if (json && response.status === 400) {
        return response.json().then(function (data) {
          var messages = [];
          Object.keys(data.errors || {}).forEach(function (k) { messages = messages.concat(data.errors[k]); });
          return { invalid: messages.join(";") || "内容有误" };
        });
      }
      // The household is not (or no longer) one of the cadre's: sending again will not change that.
      if (response.status === 404) return { invalid: "该户不是您的结对帮扶户" };
      // A login page (the session has ended), a refused token or a server error: try again later.
      var failure = new Error("not sent: " + response.status);
      failure.login = response.redirected && response.url.indexOf("/login/") !== -1;
      throw failure;
    });
  }

  function itemBody(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    item.photos.forEach(function (p) { body.append("photos", p.blob, p.name); });
    return body;
  }

  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    var sent = 0;
    return queued().then(function (items) {
      var chain = Promise.resolve();
      items.filter(function (item) { return !item.error; }).forEach(function (item) {
        chain = chain.then(function () {
          return send(item.action, itemBody(item)).then(function (outcome) {
            if (outcome.sent) { sent += 1; return drop(item.uuid); }
            item.error = outcome.invalid;
            return keep(item);
          });
        });
      });
      return chain;
    }).then(function () {
      if (sent) say("已上传 " + sent + " 条走访记录", "ok");
    }, function (failure) {
      if (failure && failure.login) say(LOGIN_AGAIN, "bad");
      else if (sent) say("已上传 " + sent + " 条走访记录", "ok");
    }).then(function () {
      flushing = false;
      return showPending();
    });
  }

  // ---- the form ----------------------------------------------------------------------------------------------------
  function fresh() {
    // A new id for every visit typed on this page: the page may come from the service worker's cache, with the id
    // the server put into it the last time.
    var field = form.querySelector("input[name=client_uuid]");
    if (field) field.value = newUuid();
  }

  function toQueue(failure) {
    var fields = [];
    var photos = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;  // the token of the page that sends it is used then
      if (typeof value === "string") fields.push([name, value]);
      else if (name === "photos" && value.size) photos.push({ name: value.name || "photo.jpg", blob: value });
    });
    var uuid = form.querySelector("input[name=client_uuid]").value;
    var dateField = form.querySelector("[name=date]");
    return keep({
      uuid: uuid, action: form.action || window.location.href, label: form.dataset.household || "",
      date: dateField ? dateField.value : "", fields: fields, photos: photos, savedAt: new Date().toISOString(),
    }).then(function () {
      form.reset();
      // Hidden inputs keep what a script set through a reset: the place of this visit is not the next one's.
      ["latitude", "longitude"].forEach(function (name) {
        var field = form.querySelector("input[name=" + name + "]");
        if (field) field.value = "";
      });
      updateCount();
      fresh();
      say(failure && failure.login ? LOGIN_AGAIN : "已保存在手机上,联网后自动上传", "saved");
      return showPending();
    }, function () {
      say("手机存储不可用,未能保存,请联网后再提交", "bad");
    });
  }

  function showErrors(text) {
    say("未保存:" + text, "bad");
  }

  function updateCount() {
    var input = form.querySelector(".visit-photo-input");
    var count = form.querySelector(".visit-photo-count");
    if (!input || !count) return;
    count.textContent = input.files && input.files.length ? "已选 " + input.files.length + " 张照片" : "未选择照片";
  }

  if (form) {
    fresh();
    form.addEventListener("change", function (event) {
      if (event.target.classList.contains("visit-photo-input")) updateCount();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector(".visit-submit");
      if (button) button.disabled = true;
      var done = function () { if (button) button.disabled = false; };
      if (!navigator.onLine) { toQueue().then(done); return; }
      say("正在上传…", "");
      send(form.action || window.location.href, new FormData(form)).then(function (outcome) {
        if (outcome.invalid) { showErrors(outcome.invalid); done(); return; }
        say(outcome.data.message || "已上传", "ok");
        window.location.assign(outcome.data.redirect);
      }, function (failure) {
        toQueue(failure).then(done);
      });
    });

    var locate = form.querySelector("[data-visit-locate]");
    if (locate && navigator.geolocation) {
      locate.closest(".visit-place").hidden = false;
      locate.addEventListener("click", function () {
        var text = form.querySelector(".visit-place-text");
        text.textContent = "正在定位…";
        navigator.geolocation.getCurrentPosition(function (position) {
          var lat = position.coords.latitude.toFixed(6);
          var lon = position.coords.longitude.toFixed(6);
          form.querySelector("input[name=latitude]").value = lat;
          form.querySelector("input[name=longitude]").value = lon;
          text.textContent = "已记录位置:纬度 " + lat + ",经度 " + lon +
            "(精度约 " + Math.round(position.coords.accuracy) + " 米)";
        }, function () {
          text.textContent = "未能取得位置(手机未允许定位或没有信号),走访记录可以不带位置保存";
        }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      });
    }
  }

  window.addEventListener("online", flush);
  showPending().then(flush);
})();
