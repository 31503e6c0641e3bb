// Watch page: hls.js plays the signed HLS playlists; a menu picks the quality.
(function () {
  "use strict";
  const container = document.getElementById("player");
  if (!container) return;
  const video = document.getElementById("video");
  const quality = document.getElementById("quality");
  const src = container.dataset.src;

  // A view counts when playback starts, once per page (the server dedupes per 30 min).
  let viewSent = false;
  video.addEventListener("playing", function () {
    if (viewSent || !container.dataset.viewUrl) return;
    viewSent = true;
    // From the page, not the cookie: in production the cookie is "__Host-csrftoken".
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    fetch(container.dataset.viewUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      credentials: "same-origin",
    }).catch(function () {});
  });

  if (window.Hls && window.Hls.isSupported()) {
    const hls = new window.Hls({ capLevelToPlayerSize: false });
    window.videoPlayer = hls;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.MANIFEST_PARSED, function (_event, data) {
      quality.innerHTML = "";
      const auto = document.createElement("option");
      auto.value = "-1";
      auto.textContent = "Auto";
      quality.appendChild(auto);
      data.levels.forEach(function (level, index) {
        const option = document.createElement("option");
        option.value = String(index);
        option.textContent = level.height + "p";
        quality.appendChild(option);
      });
      quality.disabled = false;
    });
    quality.addEventListener("change", function () {
      hls.currentLevel = Number(quality.value);
    });
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (data.fatal && data.type === window.Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
      else if (data.fatal && data.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src; // Safari plays HLS natively
  }
})();
