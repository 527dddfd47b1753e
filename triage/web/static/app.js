// Progressive enhancement only: every action also works as a plain link or form without script.
"use strict";

function highlightField(name) {
  document.querySelectorAll("mark.active").forEach(function (m) { m.classList.remove("active"); });
  document.querySelectorAll("tr.field.selected").forEach(function (r) { r.classList.remove("selected"); });
  var marks = document.querySelectorAll('mark[data-field="' + CSS.escape(name) + '"]');
  marks.forEach(function (m) { m.classList.add("active"); });
  var row = document.getElementById("field-" + name);
  if (row) { row.classList.add("selected"); }
  if (marks.length) { marks[0].scrollIntoView({ behavior: "smooth", block: "center" }); }
}

function enhanceTicket() {
  document.querySelectorAll("button.field-name").forEach(function (btn) {
    btn.addEventListener("click", function () { highlightField(btn.dataset.field); });
  });
  document.querySelectorAll("mark[data-field]").forEach(function (m) {
    m.addEventListener("click", function () { highlightField(m.dataset.field); });
  });
}

function enhanceQueue() {
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.querySelectorAll("select").forEach(function (sel) {
    sel.addEventListener("change", function () { form.requestSubmit(); });
  });
}

// Same wording as the server (triage/web/render.py), so a page left open keeps counting down.
function span(seconds) {
  seconds = Math.abs(seconds);
  if (seconds < 3600) { return Math.max(1, Math.floor(seconds / 60)) + " min"; }
  if (seconds < 2 * 86400) {
    var hours = Math.floor(seconds / 3600);
    var mins = Math.floor((seconds % 3600) / 60);
    return hours < 10 ? hours + " h " + String(mins).padStart(2, "0") + " min" : hours + " h";
  }
  return Math.floor(seconds / 86400) + " days";
}

function tickCountdowns() {
  document.querySelectorAll("[data-due]").forEach(function (el) {
    var due = Date.parse(el.dataset.due);
    if (isNaN(due)) { return; }
    var left = (due - Date.now()) / 1000;
    el.textContent = left < 0 ? "overdue " + span(left) : span(left) + " left";
    el.classList.remove("overdue", "soon", "ok");
    el.classList.add(left < 0 ? "overdue" : (left < 86400 ? "soon" : "ok"));
  });
}

document.addEventListener("DOMContentLoaded", function () {
  enhanceTicket();
  enhanceQueue();
  setInterval(tickCountdowns, 30000);
});
