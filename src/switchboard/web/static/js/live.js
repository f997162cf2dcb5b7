// The live connection: /ws events (JSON, see the README) refresh the blocks of the page they
// touch, by asking the server for that block. After a dropped connection the page catches
// up on everything it shows, so nothing is missed.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (!live || !status) return;
  var thread = document.querySelector(".thread-pane[data-session-id]");
  var sessionId = thread ? thread.dataset.sessionId : null;
  var connectedBefore = false;
  var timers = {};
  var RECONNECTED_BY_EXTENSION = [1006, 1011, 1012, 1013];

  function setState(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function later(key, run) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(run, 60);
  }

  function fragment(url, target) {
    return fetch(url, {
      headers: { "HX-Request": "true", "HX-Target": target, "HX-Current-URL": location.href },
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 204 && response.headers.get("HX-Redirect")) {
        location.assign(response.headers.get("HX-Redirect"));
        return null;
      }
      return response.ok ? response.text() : null;
    });
  }

  function nodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.slice.call(template.content.children);
  }

  // A fragment answers for the element it was asked for. If that element was replaced
  // while the request was out (a click's htmx swap, or a later refresh that came back
  // first), this answer may be older than what shows: drop it and ask once more, so the
  // block ends as the server has it now, whatever order the answers arrive in.
  function replace(id, url, retried) {
    var current = document.getElementById(id);
    if (!current) return Promise.resolve();
    return fragment(url, id).then(function (html) {
      if (html === null) return;
      var fresh = nodes(html)[0];
      var now = document.getElementById(id);
      if (!fresh || !now) return;
      if (now !== current) {
        if (!retried) return replace(id, url, true);
        return;
      }
      now.replaceWith(fresh);
      htmx.process(fresh);
    });
  }

  // --- the conversation list and the waiting count -------------------------------------
  function refreshList() {
    var list = document.getElementById("conversation-list");
    var items = document.getElementById("conversation-items");
    if (!list || !items) return;
    fragment("/inbox?" + list.dataset.query, "conversation-items").then(function (html) {
      if (html === null) return;
      var rows = document.getElementById("conversation-items");
      var fresh = nodes(html);
      fresh.forEach(function (node) {
        if (sessionId && node.dataset.sessionId === sessionId) node.setAttribute("aria-current", "true");
      });
      reconcile(rows, fresh);
    });
  }

  // Rows that did not change stay the very same elements (so a row under the pointer or
  // with focus is never swapped out); changed ones are replaced, and the order follows.
  function reconcile(container, fresh) {
    var keep = fresh.map(function (node) {
      var key = node.dataset.sessionId;
      var old = key ? container.querySelector('li[data-session-id="' + key + '"]') : null;
      return old && old.isEqualNode(node) ? old : node;
    });
    keep.forEach(function (node, index) {
      var current = container.children[index] || null;
      if (current !== node) container.insertBefore(node, current);
      if (fresh.indexOf(node) >= 0) htmx.process(node);
    });
    while (container.children.length > keep.length) container.lastElementChild.remove();
  }

  function refreshBadge() {
    replace("waiting-badge", "/inbox/waiting").then(function () {
      var badge = document.getElementById("waiting-badge");
      if (!badge) return;
      var count = parseInt(badge.dataset.count || "0", 10);
      var title = document.title.replace(/^\(\d+\) /, "");
      document.title = count > 0 ? "(" + count + ") " + title : title;
    });
  }

  // --- the open conversation ------------------------------------------------------------
  var syncing = null;
  var again = false;

  function nearBottom(pane) {
    return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 120;
  }

  function scrollToEnd() {
    var pane = document.getElementById("messages");
    if (pane) pane.scrollTop = pane.scrollHeight;
    var last = document.querySelector("#message-list > li.msg:last-child");
    if (last && window.matchMedia("(max-width: 900px)").matches) last.scrollIntoView({ block: "end" });
  }

  // Appends what the thread does not show yet; one request at a time, so a message that
  // arrives by two paths (the send's answer and the live event) is shown once.
  function syncThread() {
    if (!sessionId) return;
    if (syncing) { again = true; return; }
    var list = document.getElementById("message-list");
    var pane = document.getElementById("messages");
    if (!list || !pane) return;
    var shown = list.querySelectorAll("li.msg");
    var last = shown.length ? shown[shown.length - 1].dataset.messageId : null;
    var url = "/inbox/" + sessionId + "/messages" + (last ? "?after=" + last : "");
    var stick = nearBottom(pane);
    syncing = fragment(url, "message-list").then(function (html) {
      if (html === null) return;
      if (!last) list.innerHTML = "";
      nodes(html).forEach(function (node) {
        var existing = node.id ? document.getElementById(node.id) : null;
        if (existing) existing.replaceWith(node); else list.appendChild(node);
        htmx.process(node);
      });
      if (stick) scrollToEnd();
    }).finally(function () {
      syncing = null;
      if (again) { again = false; syncThread(); }
    });
  }

  function refreshMessage(id) {
    if (!document.getElementById("msg-" + id)) { syncThread(); return; }
    replace("msg-" + id, "/inbox/" + sessionId + "/messages/" + id);
  }

  function refreshHeader() {
    replace("conversation-header", "/inbox/" + sessionId + "/header").then(function () {
      var header = document.getElementById("conversation-header");
      var composer = document.getElementById("composer");
      // The composer is redrawn only when opting out changed, so a draft survives.
      if (header && composer && header.dataset.optedOut !== composer.dataset.optedOut) {
        replace("composer", "/inbox/" + sessionId + "/composer");
      }
    });
  }

  function refreshPanel() {
    if (sessionId) replace("contact-panel", "/inbox/" + sessionId + "/panel");
  }

  function resync() {
    refreshList();
    refreshBadge();
    if (sessionId) {
      var list = document.getElementById("message-list");
      if (list) list.innerHTML = "";
      syncThread();
      refreshHeader();
      refreshPanel();
    }
    document.body.dispatchEvent(new CustomEvent("sb:tasks-changed"));
  }

  function handle(event) {
    var data = event.data || {};
    var type = event.type || "";
    if (type === "resync") { resync(); return; }
    // A delivery status changes no row of the list: only new messages and sessions do.
    if (type === "message.created" || type.indexOf("session.") === 0) {
      later("badge", refreshBadge);
      later("list", refreshList);
    }
    if (sessionId) {
      var message = data.message;
      var conversation = data.session;
      if (message && message.session_id === sessionId) {
        if (type === "message.created") later("thread", syncThread);
        else refreshMessage(message.id);
      }
      if (conversation && conversation.id === sessionId) later("header", refreshHeader);
    }
    if (type.indexOf("task.") === 0) {
      // A row this page just changed already shows the change: redrawing the list now
      // would take a task the person just completed out from under their eyes.
      var task = data.task || {};
      if (type === "task.updated" && actedOn[task.id] && Date.now() - actedOn[task.id] < 10000) return;
      later("tasks", function () {
        document.body.dispatchEvent(new CustomEvent("sb:tasks-changed"));
        refreshPanel();
      });
    }
  }

  live.addEventListener("htmx:wsConnecting", function () {
    setState("connecting", connectedBefore ? "Reconnecting…" : "Connecting…");
  });
  live.addEventListener("htmx:wsOpen", function () {
    setState("live", "Live");
    if (connectedBefore) resync();
    connectedBefore = true;
  });
  live.addEventListener("htmx:wsClose", function (e) {
    var code = e.detail.event.code;
    if (code === 4401) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    setState("offline", "Offline, reconnecting…");
    if (RECONNECTED_BY_EXTENSION.indexOf(code) < 0 && e.detail.socketWrapper) {
      setTimeout(e.detail.socketWrapper.reconnect, 1000 + Math.random() * 2000);
    }
  });
  live.addEventListener("htmx:wsBeforeMessage", function (e) {
    e.preventDefault(); // JSON events, not HTML to swap
    var event;
    try { event = JSON.parse(e.detail.message); } catch (err) { return; }
    handle(event);
  });
  document.body.addEventListener("sb:sent", function () { syncThread(); });
  var actedOn = {};
  // Marked when the request starts: its live event can arrive before its answer does.
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var config = e.detail.requestConfig || {};
    var acted = /^\/tasks\/([0-9a-f-]{36})(\/|$)/.exec(config.path || "");
    if (acted && config.verb === "post") actedOn[acted[1]] = Date.now();
  });
  if (sessionId) scrollToEnd();
  var badge = document.getElementById("waiting-badge");
  if (badge && badge.hasAttribute("data-lazy")) refreshBadge();
})();
