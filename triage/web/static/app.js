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

document.addEventListener("DOMContentLoaded", function () {
  enhanceTicket();
  enhanceQueue();
});
