// The assistant's chat, on /assistant and in the floating panel of every other page: sending
// a message and reading its reply as server-sent events (a typing indicator until the first
// word, the words as plain text while they stream, then the stored reply as the server
// rendered it), Stop and Esc, Enter to send, the character counter, older messages on
// scrolling up, and Ctrl/Cmd+Shift+O for a new conversation. Everything shown comes from
// the server as HTML it escaped and sanitised, or is set as text.
(function () {
  "use strict";
  var panel = document.getElementById("assistant-panel");
  var fab = document.getElementById("assistant-open");
  var turn = null; // the reply being streamed: {controller, item, messageId, stopAsked}

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (err) { return ""; }
  }

  function nodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.slice.call(template.content.children);
  }

  function textOf(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return (template.content.textContent || "").replace(/\s+/g, " ").trim();
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function chat() { return document.getElementById("chat"); }
  function inPanel() { var c = chat(); return !!(c && c.classList.contains("in-panel")); }

  // --- scrolling ----------------------------------------------------------------------------
  function log() { return document.getElementById("chat-log"); }
  // The chat's own pane scrolls on a desk; on a phone the page itself does.
  function scroller() {
    var pane = log();
    if (pane && (inPanel() || pane.scrollHeight > pane.clientHeight + 1)) return pane;
    return document.scrollingElement || document.documentElement;
  }
  function nearBottom() {
    var pane = scroller();
    return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 150;
  }
  function toBottom() { var pane = scroller(); pane.scrollTop = pane.scrollHeight; }

  // Older messages go in above what the reader sees: keep it where it was.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (target && target.classList && target.classList.contains("chat-older")) {
      var pane = scroller();
      kept = { pane: pane, fromBottom: pane.scrollHeight - pane.scrollTop };
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (kept) {
      kept.pane.scrollTop = kept.pane.scrollHeight - kept.fromBottom;
      kept = null;
    }
  });

  // --- the composer -------------------------------------------------------------------------
  function updateCounter(box) {
    var counter = document.getElementById("chat-count");
    if (!counter) return;
    var from = parseInt(box.dataset.counterFrom || "9000", 10);
    var max = parseInt(box.getAttribute("maxlength") || "10000", 10);
    var length = box.value.length;
    counter.hidden = length < from;
    counter.textContent = length.toLocaleString("en-US") + " / " + max.toLocaleString("en-US") + " characters";
    counter.classList.toggle("over", length >= max);
  }

  function setBusy(busy) {
    var c = chat();
    if (!c) return;
    c.dataset.busy = busy ? "true" : "false";
    var stop = document.getElementById("chat-stop");
    var send = document.getElementById("chat-send");
    if (stop) stop.hidden = !busy;
    if (send) send.disabled = busy;
    Array.prototype.forEach.call(c.querySelectorAll(".suggestion"), function (b) { b.disabled = busy; });
  }

  function status(text) {
    var line = document.getElementById("chat-status");
    if (line) line.textContent = text || "";
  }

  document.addEventListener("input", function (e) {
    if (e.target && e.target.id === "chat-input") updateCounter(e.target);
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || !form.matches || !form.matches("form[data-chat-send]")) return;
    e.preventDefault();
    var field = form.elements.namedItem("content");
    var content = field ? field.value.trim() : "";
    if (!content || turn) return;
    var box = document.getElementById("chat-input");
    if (field === box) { box.value = ""; updateCounter(box); }
    send(content);
  });

  // --- one turn -------------------------------------------------------------------------------
  function startItems(content) {
    var list = document.getElementById("chat-messages");
    var start = document.getElementById("chat-start");
    if (start) start.remove();
    var mine = el("li", "chat-msg from-user pending");
    mine.appendChild(el("p", "meta", "You"));
    mine.appendChild(el("div", "bubble plain", content));
    var reply = el("li", "chat-msg from-assistant streaming");
    reply.setAttribute("aria-busy", "true");
    reply.appendChild(el("p", "meta", "Assistant"));
    reply.appendChild(el("div", "tool-calls"));
    var typing = el("p", "typing", "The assistant is thinking");
    typing.appendChild(el("span", "dots"));
    reply.appendChild(typing);
    list.appendChild(mine);
    list.appendChild(reply);
    toBottom();
    return { mine: mine, reply: reply };
  }

  function failed(item, text) {
    item.removeAttribute("aria-busy");
    item.classList.remove("streaming");
    var typing = item.querySelector(".typing");
    if (typing) typing.remove();
    var note = el("div", "bubble chat-failed");
    var line = el("p");
    line.appendChild(el("strong", "", "Not answered. "));
    line.appendChild(document.createTextNode(text));
    note.appendChild(line);
    item.appendChild(note);
  }

  function send(content) {
    var c = chat();
    if (!c) return;
    var items = startItems(content);
    var controller = new AbortController();
    turn = { controller: controller, item: items.reply, messageId: null, stopAsked: false, done: false };
    setBusy(true);
    status("");
    var body = new URLSearchParams({ content: content });
    fetch(c.dataset.sendUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      signal: controller.signal,
      headers: {
        "Accept": "text/event-stream",
        "X-CSRF-Token": csrfToken(),
        "HX-Request": "true",
        "HX-Current-URL": location.href
      }
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (response.status === 204 && response.headers.get("HX-Redirect")) {
        location.assign(response.headers.get("HX-Redirect"));
        return null;
      }
      if (!response.ok || type.indexOf("text/event-stream") !== 0) {
        return response.text().then(function (html) {
          items.mine.remove();
          failed(items.reply, "Not sent: " + (textOf(html) || "the server answered " + response.status) + ".");
          var box = document.getElementById("chat-input");
          if (box && !box.value) { box.value = content; updateCounter(box); }
        });
      }
      return read(response, items);
    }).catch(function (err) {
      if (turn && turn.done) return;
      if (err && err.name === "AbortError") {
        failed(items.reply, "Stopped. What the assistant said is saved; reload to see it.");
      } else {
        failed(items.reply, "Switchboard could not be reached. Check the connection and send again.");
      }
    }).finally(function () {
      turn = null;
      setBusy(false);
      var box = document.getElementById("chat-input");
      if (box && !inPanel()) box.focus();
      else if (box && panel && !panel.hidden) box.focus();
    });
  }

  function read(response, items) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (!turn.done) failed(items.reply, "The connection dropped before the answer finished. The answer is saved when it is ready: reload to see it.");
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(function (block) { dispatch(block, items); });
        return pump();
      });
    }
    return pump();
  }

  function dispatch(block, items) {
    var name = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) name = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (!data.length) return;
    var payload;
    try { payload = JSON.parse(data.join("\n")); } catch (err) { return; }
    var reply = items.reply;
    var stick = nearBottom();
    if (name === "conversation") {
      var c = chat();
      c.dataset.conversationId = payload.id;
      c.dataset.sendUrl = payload.send_url;
      c.dataset.stopUrl = payload.stop_url;
      Array.prototype.forEach.call(c.querySelectorAll("form[data-chat-send]"), function (form) { form.action = payload.send_url; });
      var title = document.getElementById("chat-title");
      if (title) title.textContent = payload.title;
      if (!inPanel()) history.replaceState(null, "", payload.url);
    } else if (name === "user_message") {
      var fresh = nodes(payload.html)[0];
      if (fresh) items.mine.replaceWith(fresh);
      turn.messageId = payload.id;
      if (turn.stopAsked) requestStop();
    } else if (name === "tool_call_started" || name === "tool_call_finished") {
      var card = nodes(payload.html)[0];
      var cards = reply.querySelector(".tool-calls");
      var running = null;
      Array.prototype.forEach.call(cards.children, function (node) {
        if (node.dataset.callId === payload.id && node.classList.contains("tool-running")) running = node;
      });
      if (running) { card.open = running.open; running.replaceWith(card); } else cards.appendChild(card);
    } else if (name === "text_delta") {
      var typing = reply.querySelector(".typing");
      if (typing) typing.remove();
      var text = reply.querySelector(".bubble.live-text");
      if (!text) { text = el("div", "bubble live-text"); reply.appendChild(text); }
      text.textContent += payload.text;
    } else if (name === "error") {
      status("The assistant could not answer.");
    } else if (name === "done") {
      turn.done = true;
      var stored = nodes(payload.html)[0];
      if (stored) reply.replaceWith(stored);
      status(payload.status === "stopped" ? "Stopped." : "");
      refreshList();
    }
    if (stick) toBottom();
  }

  function requestStop() {
    var c = chat();
    if (!turn || !c) return;
    turn.stopAsked = true;
    status("Stopping…");
    if (!turn.messageId || !c.dataset.stopUrl) return; // sent once the question is stored
    var current = turn;
    fetch(c.dataset.stopUrl, {
      method: "POST",
      credentials: "same-origin",
      body: new URLSearchParams({ message_id: current.messageId }),
      headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" }
    }).catch(function () {}).finally(function () {
      // The reply ends itself with what was said; give up waiting after a while.
      setTimeout(function () { if (turn === current && !current.done) current.controller.abort(); }, 8000);
    });
  }

  document.addEventListener("click", function (e) {
    if (e.target && e.target.closest && e.target.closest("#chat-stop")) { e.preventDefault(); requestStop(); }
  });

  // --- the sidebar after a reply --------------------------------------------------------------
  function refreshList() {
    var list = document.getElementById("chat-list");
    var search = document.getElementById("chat-search");
    var c = chat();
    if (!list || (search && search.value.trim()) || !c) return;
    var url = "/assistant/conversations" + (c.dataset.conversationId ? "?current=" + c.dataset.conversationId : "");
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var fresh = html && nodes(html)[0];
      var now = document.getElementById("chat-list");
      if (!fresh || !now) return;
      now.replaceWith(fresh);
      htmx.process(fresh);
    });
  }

  document.body.addEventListener("sb:renamed", function (e) {
    var c = chat();
    var title = document.getElementById("chat-title");
    if (!c || !title || c.dataset.conversationId !== e.detail.id) return;
    title.textContent = e.detail.title;
    document.title = document.title.replace(/^(\(\d+\) )?.*? · Assistant/, "$1" + e.detail.title + " · Assistant");
  });

  // --- the floating panel -------------------------------------------------------------------
  function loadPanel(fresh) {
    return fetch("/assistant/panel" + (fresh ? "?new=1" : ""), {
      headers: { "HX-Request": "true", "HX-Current-URL": location.href },
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 204 && response.headers.get("HX-Redirect")) {
        location.assign(response.headers.get("HX-Redirect"));
        return;
      }
      return response.text().then(function (html) {
        panel.innerHTML = html;
        panel.dataset.loaded = "true";
        htmx.process(panel);
        toBottom();
        var box = document.getElementById("chat-input");
        if (box) box.focus();
      });
    });
  }

  function openPanel(fresh) {
    if (!panel || !fab) return;
    if (turn && fresh) return; // a reply is streaming: let it finish first
    panel.hidden = false;
    fab.hidden = true;
    fab.setAttribute("aria-expanded", "true");
    document.body.classList.add("assistant-open");
    if (fresh || !panel.dataset.loaded) loadPanel(fresh);
    else { var box = document.getElementById("chat-input"); if (box) box.focus(); }
  }

  function closePanel() {
    if (!panel || !fab) return;
    panel.hidden = true;
    fab.hidden = false;
    fab.setAttribute("aria-expanded", "false");
    document.body.classList.remove("assistant-open");
    fab.focus();
  }

  if (fab) fab.addEventListener("click", function () { openPanel(false); });
  document.addEventListener("click", function (e) {
    var target = e.target && e.target.closest ? e.target : null;
    if (!target) return;
    if (target.closest("[data-panel-close]")) { e.preventDefault(); closePanel(); }
    if (target.closest("[data-panel-new]")) { e.preventDefault(); openPanel(true); }
  });

  // --- keys -----------------------------------------------------------------------------------
  // Captured on window, before the page-wide shortcuts: Esc stops a reply instead of only
  // leaving the text box, and cancels a rename.
  window.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && turn) {
      e.preventDefault();
      e.stopImmediatePropagation();
      requestStop();
      return;
    }
    if (e.key === "Escape" && document.activeElement && document.activeElement.closest("form[data-rename]")) {
      var cancel = document.activeElement.closest("form[data-rename]").querySelector("[data-cancel-edit]");
      if (cancel) { e.preventDefault(); e.stopImmediatePropagation(); cancel.click(); }
      return;
    }
    // Esc in the panel's text box only leaves it (keys.js); Esc again closes the panel.
    var focus = document.activeElement;
    if (e.key === "Escape" && panel && !panel.hidden && focus && focus.id !== "chat-input" &&
        (focus === document.body || panel.contains(focus))) {
      e.preventDefault();
      closePanel();
      return;
    }
    if (e.code === "KeyO" && e.shiftKey && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      e.stopImmediatePropagation();
      if (panel) openPanel(true);
      else if (chat() && !turn) location.assign("/assistant");
    }
  }, true);

  if (chat() && !inPanel()) toBottom();
})();
