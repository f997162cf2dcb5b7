// Keyboard shortcuts, listed behind "?" (the list is in the page: base.html). Single keys
// act only when no text box has focus, so typing is never taken over.
(function () {
  "use strict";
  var PAGES = { i: "/inbox", t: "/today", k: "/tasks", c: "/contacts", a: "/assistant", d: "/dashboard", s: "/settings" };
  var dialog = document.getElementById("shortcuts");
  var button = document.getElementById("shortcuts-button");
  var pendingG = false;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function openShortcuts() {
    if (dialog && !dialog.open) dialog.showModal();
  }
  if (button) button.addEventListener("click", openShortcuts);

  function moveConversation(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#conversation-items li.conversation"));
    if (!rows.length) return;
    var current = rows.findIndex(function (row) { return row.getAttribute("aria-current") === "true"; });
    var next = rows[Math.min(rows.length - 1, Math.max(0, current + step))];
    var link = next && next.querySelector("a");
    if (link) link.click();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey) return;
    if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (e.altKey) {
      if (e.code === "KeyJ") { e.preventDefault(); moveConversation(1); }
      if (e.code === "KeyK") { e.preventDefault(); moveConversation(-1); }
      return;
    }
    if (typing(e.target)) return;
    if (pendingG) {
      pendingG = false;
      if (PAGES[e.key]) { e.preventDefault(); location.assign(PAGES[e.key]); }
      return;
    }
    var search = document.querySelector("[data-search]");
    var composer = document.getElementById("composer-body");
    var newTask = document.querySelector("[data-new-task]");
    switch (e.key) {
      case "?": e.preventDefault(); openShortcuts(); break;
      case "/": if (search) { e.preventDefault(); search.focus(); } break;
      case "g": pendingG = true; setTimeout(function () { pendingG = false; }, 1500); break;
      case "j": moveConversation(1); break;
      case "k": moveConversation(-1); break;
      case "r": if (composer && !composer.disabled) { e.preventDefault(); composer.focus(); } break;
      case "n": if (newTask) { e.preventDefault(); newTask.click(); } break;
    }
  });

  // "Cancel" on a new task form closes it without a round trip.
  document.addEventListener("click", function (e) {
    var cancel = e.target.closest && e.target.closest("[data-close-form]");
    var slot = document.getElementById("task-form-slot");
    if (cancel && slot) { e.preventDefault(); slot.innerHTML = ""; }
  });
})();
