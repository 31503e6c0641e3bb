// Channel avatar/banner upload: ask the app for a presigned POST, send the file
// straight to S3 with progress, then ask the app to verify and attach it.
(function () {
  "use strict";

  // From the page, not the cookie: in production the cookie is "__Host-csrftoken".
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function postForm(url, data) {
    const body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error || "The upload failed.");
        return json;
      });
    });
  }

  function sendToStorage(post, file, progress) {
    return new Promise(function (resolve, reject) {
      const form = new FormData();
      Object.keys(post.fields).forEach(function (name) { form.append(name, post.fields[name]); });
      form.append("file", file); // S3 requires the file to be the last field
      const xhr = new XMLHttpRequest();
      xhr.open("POST", post.url);
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else if (/EntityTooLarge/.test(xhr.responseText)) reject(new Error("The image is too big."));
        else reject(new Error("Storage refused the file (" + xhr.status + ")."));
      };
      xhr.onerror = function () { reject(new Error("Storage is not reachable.")); };
      xhr.send(form);
    });
  }

  document.querySelectorAll(".image-upload").forEach(function (section) {
    const input = section.querySelector("input[type=file]");
    const status = section.querySelector(".upload-status");
    const progress = section.querySelector("progress");
    const preview = section.querySelector("img.preview");
    function upload() {
      const file = input.files[0];
      if (!file) return;
      status.textContent = "Uploading…";
      progress.hidden = false;
      progress.value = 0;
      postForm(section.dataset.startUrl, { content_type: file.type })
        .then(function (post) {
          if (file.size > post.max_bytes) throw new Error("The image is too big.");
          return sendToStorage(post, file, progress).then(function () { return post; });
        })
        .then(function (post) { return postForm(section.dataset.completeUrl, { key: post.key }); })
        .then(function (result) {
          preview.src = result.url;
          preview.hidden = false;
          status.textContent = "Saved.";
        })
        .catch(function (error) { status.textContent = error.message; })
        .finally(function () { progress.hidden = true; input.value = ""; });
    }
    input.addEventListener("change", upload);
    // This script is deferred: a file chosen while the page was still loading
    // fired its change event before the listener existed, so send it now.
    if (input.files.length) upload();
  });
})();
