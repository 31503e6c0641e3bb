// Upload dashboard: the app creates the video and signs a POST policy; the file goes
// straight from the browser to S3 (progress + cancel); then the app verifies it.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const fileInput = document.getElementById("video-file");
  const errorBox = document.getElementById("upload-error");
  const panel = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const bytes = document.getElementById("upload-bytes");
  const state = document.getElementById("upload-state");
  const cancelButton = document.getElementById("upload-cancel");
  const maxBytes = Number(form.dataset.maxBytes);
  let xhr = null;
  let current = null;

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function humanBytes(n) {
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return n.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function appPost(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || "Something went wrong (" + response.status + ").");
        return json;
      });
    });
  }

  function storageError(xhr) {
    const text = xhr.responseText || "";
    if (/EntityTooLarge/.test(text)) return "The file is too big for the upload limit.";
    if (/expired/i.test(text)) return "The upload link expired. Please start again.";
    if (xhr.status === 0) return "Storage is unavailable right now. Please try again later.";
    return "Storage refused the file (" + xhr.status + ").";
  }

  function sendFile(upload, file) {
    return new Promise(function (resolve, reject) {
      const data = new FormData();
      Object.keys(upload.fields).forEach(function (name) { data.append(name, upload.fields[name]); });
      data.append("file", file); // must be the last field
      xhr = new XMLHttpRequest();
      xhr.open("POST", upload.url);
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        const p = Math.floor((100 * event.loaded) / event.total);
        bar.value = p;
        percent.textContent = p + "%";
        bytes.textContent = humanBytes(event.loaded) + " of " + humanBytes(event.total);
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new Error(storageError(xhr)));
      };
      xhr.onerror = function () { reject(new Error(storageError(xhr))); };
      xhr.onabort = function () { reject(new Error("Upload cancelled.")); };
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.textContent = "";
    const file = fileInput.files[0];
    if (!file) { errorBox.textContent = "Choose a video file."; return; }
    if (file.size === 0) { errorBox.textContent = "The file is empty."; return; }
    if (file.size > maxBytes) { errorBox.textContent = "The file is too big: the limit is " + humanBytes(maxBytes) + "."; return; }
    const data = new FormData(form);
    data.delete("file");
    data.set("size", String(file.size));
    data.set("content_type", file.type || "");
    form.querySelector("button[type=submit]").disabled = true;
    appPost(form.action || window.location.pathname, data)
      .then(function (created) {
        current = created;
        form.hidden = true;
        panel.hidden = false;
        document.getElementById("upload-name").textContent = file.name;
        state.textContent = "Uploading…";
        return sendFile(created.upload, file).then(function () { return created; });
      })
      .then(function (created) {
        state.textContent = "Checking the upload…";
        cancelButton.disabled = true;
        return appPost(created.complete_url, new FormData());
      })
      .then(function (done) {
        state.textContent = "Uploaded. Processing has started.";
        window.location.href = done.studio_url;
      })
      .catch(function (error) {
        errorBox.textContent = error.message;
        state.textContent = error.message;
        form.hidden = false;
        panel.hidden = true;
        form.querySelector("button[type=submit]").disabled = false;
        if (current) {
          appPost(current.cancel_url, new FormData()).catch(function () {});
          current = null;
        }
      });
  });

  cancelButton.addEventListener("click", function () {
    if (xhr) xhr.abort();
  });
})();
