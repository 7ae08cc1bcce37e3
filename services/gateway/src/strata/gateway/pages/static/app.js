// Progressive enhancement for the Strata pages. Everything here is optional: without script the
// forms post and the pages redirect. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  var csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  // htmx requests that change something carry the form token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
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
