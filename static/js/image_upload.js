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

  // The words shown come from the section's data-msg-* attributes (translated by the
  // page); the English here is only a fallback.
  function text(section, name, fallback) {
    return section.dataset[name] || fallback;
  }

  function postForm(url, data, failed) {
    const body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error || failed);
        return json;
      });
    });
  }

  function sendToStorage(post, file, progress, section) {
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
        else if (/EntityTooLarge/.test(xhr.responseText)) {
          reject(new Error(text(section, "msgTooBig", "The image is too big.")));
        } else {
          const refused = text(section, "msgRefused", "Storage refused the file ({status}).");
          reject(new Error(refused.replace("{status}", String(xhr.status))));
        }
      };
      xhr.onerror = function () {
        reject(new Error(text(section, "msgUnreachable", "Storage is not reachable.")));
      };
      xhr.send(form);
    });
  }

  document.querySelectorAll(".image-upload").forEach(function (section) {
    const input = section.querySelector("input[type=file]");
    const status = section.querySelector(".upload-status");
    const progress = section.querySelector("progress");
    const preview = section.querySelector("img.preview");
    const empty = section.querySelector(".image-empty");
    const kind = section.dataset.kind;

    function show(src, alt) {
      if (src) preview.src = src;
      else preview.removeAttribute("src");
      preview.alt = alt;
      preview.hidden = !src;
      if (empty) empty.hidden = Boolean(src);
    }

    function upload() {
      const file = input.files[0];
      if (!file) return;
      // The chosen file, shown as it will look, while it is sent; the saved one after.
      const before = { src: preview.hidden ? "" : preview.getAttribute("src") || "", alt: preview.alt };
      const chosen = URL.createObjectURL(file);
      show(chosen, text(section, "msgChosen", "Chosen " + kind + " (not saved yet)"));
      status.textContent = text(section, "msgUploading", "Uploading…");
      progress.hidden = false;
      progress.value = 0;
      const failed = text(section, "msgFailed", "The upload failed.");
      postForm(section.dataset.startUrl, { content_type: file.type }, failed)
        .then(function (post) {
          if (file.size > post.max_bytes) {
            throw new Error(text(section, "msgTooBig", "The image is too big."));
          }
          return sendToStorage(post, file, progress, section).then(function () { return post; });
        })
        .then(function (post) {
          return postForm(section.dataset.completeUrl, { key: post.key }, failed);
        })
        .then(function (result) {
          show(result.url, text(section, "msgCurrent", "Current " + kind));
          status.textContent = text(section, "msgSaved", "Saved.");
        })
        .catch(function (error) {
          show(before.src, before.alt);
          status.textContent = error.message;
        })
        .finally(function () {
          progress.hidden = true;
          input.value = "";
          URL.revokeObjectURL(chosen);
        });
    }
    input.addEventListener("change", upload);
    // This script is deferred: a file chosen while the page was still loading
    // fired its change event before the listener existed, so send it now.
    if (input.files.length) upload();
  });
})();
