// The class report's student table: sort, filter, page through, and open one student's feedback.
// Student data (names, ids, status) only ever enters the page as text (textContent); the feedback
// pieces are HTML that the grader rendered from Markdown with raw HTML off (a test opened, its
// Markdown block by block, closed: whole only once joined).
// The view's state lives in the address's #fragment (sort=, dir=, q=, status=, flag=, page=, open=),
// so a view can be bookmarked, and tests can load one directly: report.html#open=N opens the student of
// row N (counted from 0 in the gradebook's order), the deep link docs/ta.md describes.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("class-data").textContent);
  var Q = data.questions.length;
  var TOTAL = 4 + Q, STATUS = 5 + Q, FLAGS = 6 + Q, KIND = 7 + Q, ATTENTION = 8 + Q, SUBMISSION = 9 + Q, REASON = 10 + Q;
  var PAGE = 100;
  var rows = data.students;
  var state = {sort: -1, dir: 1, q: "", status: "all", flag: "", page: 0, open: -1};
  var view = [];
  var feedback = null;  // parsed when a student is first opened: most of a big class's file
  var body = document.querySelector("#students tbody");
  var filterBox = document.getElementById("filter");
  var statusBox = document.getElementById("status-filter");
  var flagBox = document.getElementById("flag-filter");
  var pager = document.getElementById("pager");
  var panel = document.getElementById("student");

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (params.has("sort")) state.sort = data.columns.indexOf(params.get("sort"));
    if (params.get("dir") === "desc") state.dir = -1;
    state.q = params.get("q") || "";
    state.status = params.get("status") || "all";
    state.flag = params.get("flag") || "";
    state.page = Math.max(0, parseInt(params.get("page") || "0", 10) || 0);
    state.open = params.has("open") ? parseInt(params.get("open"), 10) : -1;
  }

  function writeHash() {
    var params = new URLSearchParams();
    if (state.sort >= 0) { params.set("sort", data.columns[state.sort]); if (state.dir < 0) params.set("dir", "desc"); }
    if (state.q) params.set("q", state.q);
    if (state.status !== "all") params.set("status", state.status);
    if (state.flag) params.set("flag", state.flag);
    if (state.page) params.set("page", String(state.page));
    if (state.open >= 0) params.set("open", String(state.open));
    history.replaceState(null, "", "#" + params.toString());
  }

  function keep(row) {
    if (state.status === "attention" ? !row[ATTENTION] : state.status !== "all" && row[KIND] !== state.status) return false;
    if (state.flag && row[FLAGS].indexOf(state.flag) < 0) return false;
    if (!state.q) return true;
    var q = state.q.toLowerCase();
    return [row[0], row[1], row[2], row[3]].some(function (text) { return text.toLowerCase().indexOf(q) >= 0; });
  }

  function compare(a, b) {
    var x = a[state.sort], y = b[state.sort];
    if (Array.isArray(x)) { x = x.join(", "); y = y.join(", "); }
    var order = typeof x === "number" ? x - y : x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
    return order * state.dir || a[0].localeCompare(b[0]);
  }

  function apply() {
    view = [];
    for (var i = 0; i < rows.length; i++) if (keep(rows[i])) view.push(i);
    if (state.sort >= 0) view.sort(function (a, b) { return compare(rows[a], rows[b]); });
    state.page = Math.min(state.page, Math.max(0, Math.ceil(view.length / PAGE) - 1));
    draw();
  }

  function cell(tag, text, className) {
    var element = document.createElement(tag);
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function draw() {
    var fragment = document.createDocumentFragment();
    var first = state.page * PAGE, last = Math.min(view.length, first + PAGE);
    for (var k = first; k < last; k++) {
      var index = view[k], row = rows[index], tr = document.createElement("tr");
      tr.dataset.index = String(index);
      tr.className = "kind-" + row[KIND].replace(/ /g, "-");
      for (var c = 0; c < data.columns.length; c++) {
        var value = row[c];
        var numeric = typeof value === "number";
        var td = cell("td", Array.isArray(value) ? value.join(", ") : numeric ? data.points[index][c - 4] : value,
                      numeric ? "n" : "");
        if (c === STATUS && row[REASON]) td.title = row[REASON];
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
    document.querySelectorAll("#students th").forEach(function (th, c) {
      th.setAttribute("aria-sort", c === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    pager.querySelector(".count").textContent = view.length
      ? (first + 1) + "–" + last + " of " + view.length + (view.length === 1 ? " student" : " students") +
        (view.length < rows.length ? " (filtered from " + rows.length + ")" : "")
      : "no student matches";
    pager.querySelector(".previous").disabled = state.page === 0;
    pager.querySelector(".next").disabled = last >= view.length;
    writeHash();
  }

  function open(index) {
    var row = rows[index];
    if (!row) { panel.hidden = true; state.open = -1; writeHash(); return; }
    state.open = index;
    panel.querySelector(".who").textContent = (row[1] || "(no name)") + (row[2] ? " · SID " + row[2] : "") +
      (row[3] ? " · " + row[3] : "");
    panel.querySelector(".what").textContent = row[0] + " · " + data.points[index][Q] + " / " + data.maximum +
      " points · " + row[STATUS] + (row[REASON] ? ": " + row[REASON] : "") +
      (row[FLAGS].length ? " · " + row[FLAGS].join(", ") : "");
    if (!feedback) {
      var holder = document.readyState === "loading" ? null : document.getElementById("feedback-data");
      if (!holder) {  // the browser is still reading the file: open it once it has
        panel.querySelector(".feedback").textContent = "Reading the feedback…";
        document.addEventListener("DOMContentLoaded", function () { open(index); });
        panel.hidden = false;
        return;
      }
      feedback = JSON.parse(holder.textContent);
    }
    var sequence = feedback.sequences[feedback.submissions[row[SUBMISSION]]];  // shared by equal feedback
    var pieces = sequence.map(function (k) { return feedback.pieces[k]; });
    panel.querySelector(".feedback").innerHTML = pieces.join("");  // grader-rendered, raw HTML off; whole only joined
    panel.hidden = false;
    writeHash();
    panel.scrollTop = 0;
  }

  document.querySelectorAll("#students th").forEach(function (th, c) {
    th.addEventListener("click", function () {
      state.dir = state.sort === c ? -state.dir : 1;
      state.sort = c;
      apply();
    });
  });
  body.addEventListener("click", function (event) {
    var tr = event.target.closest("tr");
    if (tr) open(parseInt(tr.dataset.index, 10));
  });
  document.querySelectorAll("[data-student]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); open(parseInt(link.dataset.student, 10)); });
  });
  filterBox.addEventListener("input", function () { state.q = filterBox.value; state.page = 0; apply(); });
  statusBox.addEventListener("change", function () { state.status = statusBox.value; state.page = 0; apply(); });
  flagBox.addEventListener("change", function () { state.flag = flagBox.value; state.page = 0; apply(); });
  pager.querySelector(".previous").addEventListener("click", function () { state.page--; draw(); });
  pager.querySelector(".next").addEventListener("click", function () { state.page++; draw(); });
  panel.querySelector(".close").addEventListener("click", function () { open(-1); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") open(-1); });

  readHash();
  filterBox.value = state.q;
  statusBox.value = state.status;
  flagBox.value = state.flag;
  apply();
  if (state.open >= 0) open(state.open);
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.addEventListener("DOMContentLoaded", function () {
    document.body.dataset.parsedMs = String(Math.round(performance.now()));
  });
})();
