// Text boxes marked data-enter-sends (the reply box, the assistant's): Enter sends,
// Shift+Enter starts a new line. For the reply box, a count of characters and SMS segments
// (160 GSM-7 characters a segment, 153 when split; 70 and 67 in UCS-2).
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "^{}\\[~]|€";

  function segments(text) {
    var units = 0;
    var gsm = true;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) units += 1;
      else if (GSM_EXTENDED.indexOf(ch) >= 0) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = text.length;
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    var count = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / part);
    return { chars: text.length, count: count, encoding: gsm ? "GSM-7" : "UCS-2" };
  }

  function update(box) {
    var counter = document.getElementById("composer-count");
    if (!counter) return;
    var s = segments(box.value);
    counter.textContent = s.chars + " characters · " + s.count + " SMS segment" +
      (s.count === 1 ? "" : "s") + (s.encoding === "UCS-2" && s.chars ? " (Unicode)" : "");
  }

  document.addEventListener("input", function (e) {
    if (e.target && e.target.id === "composer-body") update(e.target);
  });
  // Any text box marked data-enter-sends: this reply box, the assistant's.
  document.addEventListener("keydown", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("textarea[data-enter-sends]")) return;
    if (e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (box.value.trim() && box.form) box.form.requestSubmit();
  });
  document.body.addEventListener("sb:sent", function () {
    var box = document.getElementById("composer-body");
    if (!box) return;
    box.value = "";
    update(box);
    box.focus();
  });
})();
