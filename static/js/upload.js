// Upload dashboard: the app creates the video and says how the file goes to storage;
// the browser sends it straight there (progress + cancel), then the app verifies it.
// A small file goes as one presigned POST. A large one goes in parts, a few at a time:
// a part that fails is sent again, and if the page is closed the upload resumes when
// the same file is chosen again (the parts already stored are skipped).
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
  const PARTS_AT_ONCE = 3;
  const PART_ATTEMPTS = 6;
  const requests = new Set();
  let current = null;
  let cancelled = false;

  // The texts shown here come from the form's data-t-* attributes (translated by the
  // template); {name} in one is replaced by vars.name.
  function t(key, vars) {
    const text = form.dataset["t" + key.replace(/(^|-)([a-z])/g, function (_m, _d, c) { return c.toUpperCase(); })] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function humanBytes(n) {
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return n.toFixed(i ? 1 : 0) + " " + units[i];
  }

  // A failure worth trying again (no connection, or the site or storage briefly down)
  // is marked `retriable`; a refusal (4xx) is not.
  function appPost(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    }).catch(function () {
      throw Object.assign(new Error(t("connection-failed")), { retriable: true });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          const message = json.error || t("server-error", { status: response.status });
          throw Object.assign(new Error(message), {
            retriable: response.status >= 500,
            fields: fieldMessages(json),
          });
        }
        return json;
      });
    });
  }

  // --- Messages by their field ------------------------------------------------------

  // A refusal names its fields as {"fields": {name: [messages]}} (form errors) or
  // {"field": name} with one "error" (a service's refusal).
  function fieldMessages(json) {
    if (json.fields && typeof json.fields === "object") return json.fields;
    if (json.field && json.error) return { [json.field]: [json.error] };
    return {};
  }

  // The input a message belongs by. The hidden size and type describe the chosen
  // file, so their messages show by the file input.
  function inputFor(name) {
    const input = form.elements.namedItem(name);
    if (!input || input.type === "hidden") return name === "size" || name === "content_type" ? fileInput : null;
    return input.closest ? input : null;
  }

  function clearFieldErrors() {
    form.querySelectorAll(".field-errors").forEach(function (box) {
      const input = form.querySelector('[aria-describedby~="' + box.id + '"]');
      if (input) {
        const rest = input.getAttribute("aria-describedby").split(/\s+/).filter(function (id) { return id !== box.id; });
        if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
        else input.removeAttribute("aria-describedby");
        input.removeAttribute("aria-invalid");
      }
      box.remove();
    });
    errorBox.textContent = "";
  }

  function showFieldError(input, messages) {
    const id = input.id + "_error";
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.className = "field-errors";
      box.id = id;
      input.closest(".field").appendChild(box);
    }
    messages.forEach(function (message) {
      const line = document.createElement("p");
      line.className = "error";
      line.setAttribute("role", "alert");
      line.textContent = message;
      box.appendChild(line);
    });
    const described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(id) === -1) described.push(id);
    input.setAttribute("aria-describedby", described.join(" "));
    input.setAttribute("aria-invalid", "true");
  }

  // Each message by its field; what belongs to no field goes by the button.
  function showError(message, fields) {
    const loose = [];
    let first = null;
    Object.keys(fields || {}).forEach(function (name) {
      const messages = [].concat(fields[name]);
      const input = inputFor(name);
      if (!input) { loose.push.apply(loose, messages); return; }
      showFieldError(input, messages);
      first = first || input;
    });
    if (!first) errorBox.textContent = message;
    else if (loose.length) errorBox.textContent = loose.join(" ");
    if (first) first.focus();
  }

  // --- Title from the file name -------------------------------------------------------

  const titleInput = form.elements.namedItem("title");
  let autoTitle = null; // the title this script last filled in, replaced on the next file

  function titleFromName(name) {
    const max = titleInput.maxLength > 0 ? titleInput.maxLength : 200;
    const bare = name.replace(/\.[^.]*$/, "").replace(/[_-]+/g, " ").replace(/\s+/g, " ").trim();
    return bare.slice(0, max).trim();
  }

  fileInput.addEventListener("change", function () {
    const file = fileInput.files[0];
    if (!file || !titleInput) return;
    const current = titleInput.value.trim();
    if (current !== "" && titleInput.value !== autoTitle) return; // typed by the person
    const title = titleFromName(file.name);
    if (!title) return;
    titleInput.value = title;
    autoTitle = title;
  });

  // --- Drag and drop -----------------------------------------------------------------

  // A file dropped on the box is put in the file input, as if chosen: the same "change"
  // fills the title. A file dropped next to the box does nothing (rather than the
  // browser leaving the page to show it).
  const dropZone = document.getElementById("drop-zone");

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }

  if (dropZone) {
    ["dragenter", "dragover"].forEach(function (name) {
      dropZone.addEventListener(name, function (event) {
        if (!carriesFiles(event) || fileInput.disabled) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        dropZone.classList.add("dragover");
      });
    });
    dropZone.addEventListener("dragleave", function (event) {
      if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove("dragover");
    });
    dropZone.addEventListener("drop", function (event) {
      dropZone.classList.remove("dragover");
      if (!carriesFiles(event) || fileInput.disabled) return;
      event.preventDefault();
      const file = event.dataTransfer.files[0];
      if (!file) return;
      const chosen = new DataTransfer();
      chosen.items.add(file); // one file, whatever number was dropped
      fileInput.files = chosen.files;
      fileInput.dispatchEvent(new Event("change", { bubbles: true }));
      fileInput.focus();
    });
    ["dragover", "drop"].forEach(function (name) {
      window.addEventListener(name, function (event) {
        if (carriesFiles(event) && !dropZone.contains(event.target)) event.preventDefault();
      });
    });
  }

  function showProgress(sent, total) {
    const p = total ? Math.floor((100 * sent) / total) : 0;
    bar.value = p;
    percent.textContent = p + "%";
    bytes.textContent = t("bytes-of", { sent: humanBytes(sent), total: humanBytes(total) });
  }

  function storageError(xhr) {
    const text = xhr.responseText || "";
    if (/EntityTooLarge/.test(text)) return t("storage-too-big");
    if (/expired/i.test(text)) return t("link-expired");
    if (xhr.status === 0) return t("storage-down");
    return t("storage-refused", { status: xhr.status });
  }

  // One request to storage, tracked so Cancel can abort it. Resolves with the xhr
  // whatever its status; rejects only when it could not be sent or was aborted.
  function send(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      requests.add(xhr);
      xhr.open(method, url);
      xhr.upload.onprogress = function (event) { if (event.lengthComputable) onProgress(event.loaded); };
      xhr.onloadend = function () { requests.delete(xhr); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () {
        reject(Object.assign(new Error(storageError(xhr)), { retriable: true }));
      };
      xhr.onabort = function () { reject(new Error(t("cancelled"))); };
      xhr.send(body);
    });
  }

  function sendFile(upload, file) {
    const data = new FormData();
    Object.keys(upload.fields).forEach(function (name) { data.append(name, upload.fields[name]); });
    data.append("file", file); // must be the last field
    return send("POST", upload.url, data, function (loaded) { showProgress(loaded, file.size); })
      .then(function (xhr) {
        showProgress(file.size, file.size);
        if (xhr.status < 200 || xhr.status >= 300) throw new Error(storageError(xhr));
      });
  }

  // --- Large files: parts ------------------------------------------------------------

  function uploadKey(file) {
    return "upload:" + [file.name, file.size, file.lastModified].join(":");
  }

  function remembered(file) {
    try { return JSON.parse(window.localStorage.getItem(uploadKey(file))); } catch (e) { return null; }
  }

  function remember(file, created) {
    try { window.localStorage.setItem(uploadKey(file), JSON.stringify(created)); } catch (e) { /* private mode */ }
  }

  function forget(file) {
    try { window.localStorage.removeItem(uploadKey(file)); } catch (e) { /* private mode */ }
  }

  function askForParts(multipart, numbers) {
    const data = new FormData();
    data.set("numbers", numbers.join(","));
    return appPost(multipart.parts_url, data);
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // While the browser is offline nothing can be sent: wait for the connection (or
  // Cancel) instead of spending a part's attempts.
  function whenOnline(isStopped) {
    if (navigator.onLine || isStopped()) return Promise.resolve();
    return wait(500).then(function () { return whenOnline(isStopped); });
  }

  function sendParts(created, file, stored) {
    const plan = created.multipart;
    const size = function (n) { return Math.min(plan.part_bytes, file.size - (n - 1) * plan.part_bytes); };
    const done = new Set(stored);
    const queue = [];
    for (let n = 1; n <= plan.parts; n += 1) if (!done.has(n)) queue.push(n);
    const urls = {};
    const inFlight = {};
    let stopped = false; // one part failed for good: the others stop too
    let doneBytes = 0;
    done.forEach(function (n) { doneBytes += size(n); });

    function report() {
      let sent = doneBytes;
      Object.keys(inFlight).forEach(function (n) { sent += inFlight[n]; });
      showProgress(sent, file.size);
    }

    // URLs are asked for in batches, just before they are needed, so none expires
    // while earlier parts of a long upload are still going.
    function urlFor(n) {
      if (urls[n]) return Promise.resolve(urls[n]);
      const batch = [n].concat(queue.slice(0, plan.urls_per_request - 1));
      return askForParts(plan, batch).then(function (answer) {
        Object.keys(answer.urls).forEach(function (k) { urls[k] = answer.urls[k]; });
        return urls[n];
      });
    }

    function sendPart(n, attempt) {
      if (cancelled || stopped) return Promise.reject(new Error(t("cancelled")));
      const blob = file.slice((n - 1) * plan.part_bytes, (n - 1) * plan.part_bytes + size(n));
      return urlFor(n)
        .then(function (url) {
          return send("PUT", url, blob, function (loaded) { inFlight[n] = loaded; report(); });
        })
        .then(function (xhr) {
          if (xhr.status >= 200 && xhr.status < 300) return;
          if (xhr.status === 403) delete urls[n]; // expired: sign it again
          throw Object.assign(new Error(storageError(xhr)), { retriable: true });
        })
        .then(function () {
          delete inFlight[n];
          doneBytes += size(n);
          report();
        }, function (error) {
          delete inFlight[n];
          report();
          if (cancelled || stopped || !error.retriable) throw error;
          if (!navigator.onLine) {
            state.textContent = t("offline");
            return whenOnline(function () { return cancelled || stopped; }).then(function () {
              state.textContent = t("uploading");
              return sendPart(n, attempt);
            });
          }
          if (attempt >= PART_ATTEMPTS) throw error;
          state.textContent = t("part-again", { n: n });
          return wait(Math.min(8000, 500 * Math.pow(2, attempt))).then(function () {
            state.textContent = t("uploading");
            return sendPart(n, attempt + 1);
          });
        });
    }

    function worker() {
      const n = queue.shift();
      if (n === undefined) return Promise.resolve();
      return sendPart(n, 1).then(worker);
    }

    report();
    const workers = [];
    for (let i = 0; i < PARTS_AT_ONCE; i += 1) workers.push(worker());
    return Promise.all(workers).catch(function (error) {
      stopped = true;
      requests.forEach(function (xhr) { xhr.abort(); });
      if (error.retriable) {
        throw new Error(error.message + " " + t("parts-kept"));
      }
      throw error;
    });
  }

  // An earlier upload of this same file that can go on: the parts storage already has.
  function resumable(file) {
    const earlier = remembered(file);
    if (!earlier || !earlier.multipart) return Promise.resolve(null);
    return askForParts(earlier.multipart, []).then(
      function (answer) { return { created: earlier, stored: answer.done }; },
      function () { forget(file); return null; }
    );
  }

  function start(file) {
    const data = new FormData(form);
    data.delete("file");
    data.set("size", String(file.size));
    data.set("content_type", file.type || "");
    return appPost(form.action || window.location.pathname, data).then(function (created) {
      if (created.multipart) remember(file, created);
      return { created: created, stored: [] };
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearFieldErrors();
    const file = fileInput.files[0];
    const fileError = function (message) { showError(message, { file: [message] }); };
    if (!file) { fileError(t("choose-file")); return; }
    if (file.size === 0) { fileError(t("file-empty")); return; }
    if (file.size > maxBytes) { fileError(t("file-too-big", { limit: humanBytes(maxBytes) })); return; }
    form.querySelector("button[type=submit]").disabled = true;
    cancelled = false;
    let resumed = false;
    resumable(file)
      .then(function (earlier) {
        resumed = Boolean(earlier);
        return earlier || start(file);
      })
      .then(function (upload) {
        current = upload.created;
        form.hidden = true;
        panel.hidden = false;
        cancelButton.disabled = false;
        document.getElementById("upload-name").textContent = file.name;
        state.textContent = resumed ? t("resuming") : t("uploading");
        const sending = current.multipart ? sendParts(current, file, upload.stored) : sendFile(current.upload, file);
        return sending.then(function () { return current; });
      })
      .then(function (created) {
        state.textContent = t("checking");
        cancelButton.disabled = true;
        return appPost(created.complete_url, new FormData());
      })
      .then(function (done) {
        forget(file);
        state.textContent = t("uploaded");
        window.location.href = done.studio_url;
      })
      .catch(function (error) {
        state.textContent = error.message;
        form.hidden = false;
        panel.hidden = true;
        showError(error.message, error.fields);
        form.querySelector("button[type=submit]").disabled = false;
        const keep = current && current.multipart && !cancelled;
        if (current && !keep) {
          appPost(current.cancel_url, new FormData()).catch(function () {});
          forget(file);
        }
        current = null;
      });
  });

  cancelButton.addEventListener("click", function () {
    cancelled = true;
    requests.forEach(function (xhr) { xhr.abort(); });
  });

  form.querySelector("button[type=submit]").disabled = false;
})();
