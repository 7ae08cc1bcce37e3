// Progressive enhancement for the Strata pages. Everything here is optional: without script the
// forms post and the pages redirect. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // Controls only a page without script needs (e.g. "show this type's settings") hide.
  document.documentElement.classList.add("js");
  var csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  // htmx requests that change something carry the form token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });

  // The builder's edits swap just the editor. An answer that is not the editor is shown as the
  // page it is: signed out meanwhile (redirected to sign in) → go there; a refusal (a stale
  // form token, a schema gone) → its message replaces the page's content, not nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.target || detail.target.id !== "builder") return;
    var xhr = detail.xhr;
    var landed = xhr.responseURL ? new URL(xhr.responseURL).pathname : null;
    if (landed && detail.pathInfo && landed !== new URL(detail.pathInfo.requestPath, location.href).pathname) {
      detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    } else if (xhr.status >= 400) {
      detail.shouldSwap = true;
      detail.isError = false;
      detail.target = document.querySelector("main");
      detail.selectOverride = "main";
      detail.swapOverride = "outerHTML";
    }
  });

  // Uploads: one request per file so each shows its own progress; drop files on the form.
  function uploadOne(form, file, list) {
    return new Promise(function (resolve) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100; bar.value = 0;
      bar.setAttribute("aria-label", "Uploading " + file.name);
      var note = document.createElement("span");
      note.className = "muted";
      item.append(label, bar, note);
      list.append(item);
      var body = new FormData();
      body.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.setRequestHeader("X-Upload", "1");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
      };
      xhr.onload = function () {
        bar.value = 100;
        note.textContent = xhr.status === 200 ? " " + xhr.responseText : " failed: " + xhr.responseText;
        if (xhr.status !== 200) item.classList.add("error-text");
        resolve();
      };
      xhr.onerror = function () { note.textContent = " failed: network error"; resolve(); };
      xhr.send(body);
    });
  }

  function uploadAll(form, files) {
    var list = form.querySelector("#upload-progress");
    list.textContent = "";
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () { return uploadOne(form, file, list); });
    });
    chain.then(function () {
      form.reset();
      var docs = document.getElementById("documents");
      if (docs && window.htmx) {
        htmx.ajax("GET", form.action, { target: "#documents", swap: "outerHTML" });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    form.addEventListener("submit", function (e) {
      var input = form.querySelector('input[type="file"]');
      if (!input.files.length) return;
      e.preventDefault();
      uploadAll(form, input.files);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("over"); });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(form, e.dataTransfer.files);
    });
  });
})();

// The review grid, for people who review all day: j/k move between blocks, c confirm, e edit,
// r reject, o reopen (each presses the row's own button, so it does what a click does).
(function () {
  "use strict";
  var KEYS = { c: "c", e: "e", r: "r", o: "o" };
  var typing = function (el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  };
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-review] tr[data-row]")); };
  var current = function () {
    var el = document.activeElement;
    return el && el.closest ? el.closest("tr[data-row]") : null;
  };
  var focusRow = function (row) { if (row) { row.focus(); row.scrollIntoView({ block: "nearest" }); } };
  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-review]") || typing(event.target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var all = rows();
    if (!all.length) return;
    var row = current();
    var at = row ? all.indexOf(row) : -1;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      var next = event.key === "j" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
      focusRow(all[at === -1 ? 0 : next]);
      return;
    }
    if (KEYS[event.key] && row) {
      var button = row.querySelector('[data-key="' + KEYS[event.key] + '"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  });
  // After htmx swaps a row, keep the reviewer's place: focus the new row (or its first input).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.elt;
    var row = document.getElementById(event.detail.target && event.detail.target.id) || null;
    if (!row && target && target.closest) row = target.closest("tr[data-row]");
    var swapped = event.detail.target;
    if (swapped && swapped.id && document.getElementById(swapped.id)) row = document.getElementById(swapped.id);
    if (!row) return;
    var input = row.querySelector("input[name^='value.']");
    if (input) input.focus(); else row.focus();
  });
})();
