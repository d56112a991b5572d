// frontdesk inbox: small enhancements over server-rendered pages. Everything works without it
// except live updates (htmx) and inserting saved replies.
(function () {
  "use strict";

  // Times arrive as "14:02 UTC"; show them in the reader's own time zone.
  function localTimes(root) {
    var today = new Date().toDateString();
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var clock = when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
      el.textContent = when.toDateString() === today
        ? clock
        : when.toLocaleDateString([], { day: "numeric", month: "short" }) + " " + clock;
      el.title = when.toLocaleString();
    });
  }

  // A scrolled transcript follows new messages only when the reader was already at the end.
  var scrollables = "#transcript, #chat";
  var stuck = {};
  function atEnd(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }
  function toEnd(root) {
    root.querySelectorAll(scrollables).forEach(function (el) { el.scrollTop = el.scrollHeight; });
  }

  // Turn details the reader opened stay open when the transcript refreshes.
  var opened = {};

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches(scrollables)) return;
    stuck[target.id] = atEnd(target);
    target.querySelectorAll("details[data-keep]").forEach(function (d) {
      opened[d.dataset.keep] = d.open;
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var el = event.detail.elt;
    if (!el || !el.querySelectorAll) return;
    localTimes(document);
    document.querySelectorAll("details[data-keep]").forEach(function (d) {
      if (opened[d.dataset.keep]) d.open = true;
    });
    document.querySelectorAll(scrollables).forEach(function (box) {
      if (stuck[box.id] !== false) box.scrollTop = box.scrollHeight;
    });
  });

  // Saved replies: insert at the cursor in the Reply box, ready to edit.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    if (!button) return;
    var box = document.getElementById("reply");
    if (!box) return;
    var text = button.getAttribute("data-insert");
    var start = box.selectionStart, end = box.selectionEnd;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var joiner = before && !/\s$/.test(before) ? " " : "";
    box.value = before + joiner + text + after;
    box.focus();
    var caret = (before + joiner + text).length;
    box.setSelectionRange(caret, caret);
  });

  // Playground examples: put one in the Message box, ready to send.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    var box = document.getElementById("pg-message");
    if (!button || !box) return;
    box.value = button.getAttribute("data-fill");
    box.focus();
  });

  // A playground message went out without a reload: empty the box for the next one.
  document.addEventListener("playground-sent", function () {
    var box = document.getElementById("pg-message");
    if (box) { box.value = ""; box.focus(); }
  });

  // Ctrl+Enter (or Cmd+Enter) sends the form a text box belongs to.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var box = event.target;
    if (box.tagName !== "TEXTAREA" || !box.form) return;
    event.preventDefault();
    box.form.requestSubmit();
  });

  // A form sent once shows it is on its way; the server ignores a second send anyway.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var button = form.querySelector("button[type=submit]");
    if (button) { button.setAttribute("aria-disabled", "true"); button.classList.add("sending"); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    toEnd(document);
  });
})();
