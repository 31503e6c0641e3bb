// Watch page: hls.js plays the HLS playlists; Plyr (player_ui.js) draws the one control
// bar, its Settings menu picking the quality (Auto or one of hls.js's levels).
//
// What lets the browser read the segments expires: signed URLs in the playlists, or (in
// production) the CDN cookies, which the page renews while it is open. hls.js never
// reloads a finished playlist, so when a segment is refused the player loads the source
// again (fresh signatures, renewed cookies) and carries on where the viewer was.
(function () {
  "use strict";
  const container = document.getElementById("player");
  if (!container) return;
  const video = document.getElementById("video");
  const src = container.dataset.src;
  // Signed-cookie mode: playlists and segments come from the CDN with the cookies.
  const refreshUrl = container.dataset.refreshUrl || "";
  const refreshMs = Number(container.dataset.refreshS || 0) * 1000;
  const RELOAD_AT_MOST_EVERY_MS = 10000;

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

  let renewedAt = Date.now();
  function renewGrant() {
    if (!refreshUrl) return Promise.resolve();
    return fetch(refreshUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function () {
        renewedAt = Date.now();
      })
      .catch(function () {});
  }
  if (refreshUrl && refreshMs > 0) {
    window.setInterval(renewGrant, refreshMs);
    // Timers stall in background tabs and on sleeping laptops: renew on coming back too.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && Date.now() - renewedAt >= refreshMs) renewGrant();
    });
  }

  // Once per page: Plyr around the <video>, exposed for tests as window.videoPlayerUi.
  function startUi(levels, setLevel) {
    if (window.videoPlayerUi || !window.createPlayerUi) return;
    window.videoPlayerUi = window.createPlayerUi(video, {
      iconUrl: container.dataset.iconUrl,
      label: container.dataset.playerLabel,
      autoLabel: container.dataset.autoLabel,
      levels: levels,
      setLevel: setLevel,
    });
  }

  if (window.Hls && window.Hls.isSupported()) {
    const Hls = window.Hls;
    const config = { capLevelToPlayerSize: false };
    if (refreshUrl) {
      config.xhrSetup = function (xhr) {
        xhr.withCredentials = true;
      };
    }
    const hls = new Hls(config);
    window.videoPlayer = hls;
    hls.loadSource(src);
    // What the viewer picked in the Quality menu (-1: Auto).
    let chosenLevel = -1;
    function setLevel(index) {
      chosenLevel = index;
      // Setting a level flushes what is buffered: only when it is a change.
      if (index === -1 ? hls.autoLevelEnabled : hls.manualLevel === index) return;
      hls.currentLevel = index;
    }
    // The Quality menu is built with the controls, so they wait for the levels, and
    // hls.js waits for the controls: Plyr moves the <video> into its wrapper, and a
    // video moved after hls.js gave it its MediaSource loads it again (a revoked blob:
    // URL, a media error). A reload parses the manifest again: the controls stay, and
    // so does the viewer's choice (loading a manifest puts hls.js back on Auto).
    hls.on(Hls.Events.MANIFEST_PARSED, function (_event, data) {
      if (!window.videoPlayerUi) startUi(data.levels, setLevel);
      else if (chosenLevel !== -1) hls.currentLevel = chosenLevel;
      if (!hls.media) hls.attachMedia(video);
    });

    let reloadedAt = 0;
    // Fresh playlists from where the viewer is; false when one was just tried.
    function reloadSource() {
      if (Date.now() - reloadedAt < RELOAD_AT_MOST_EVERY_MS) return false;
      reloadedAt = Date.now();
      const resumeAt = video.currentTime;
      const wasPlaying = !video.paused;
      renewGrant().then(function () {
        hls.config.startPosition = resumeAt;
        hls.loadSource(src); // re-attaches the media element, which pauses it
        if (wasPlaying) {
          hls.once(Hls.Events.MANIFEST_PARSED, function () {
            video.play().catch(function () {});
          });
        }
      });
      return true;
    }

    hls.on(Hls.Events.ERROR, function (_event, data) {
      const network = data.type === Hls.ErrorTypes.NETWORK_ERROR;
      const refused = Boolean(data.response && data.response.code === 403);
      // Expired: a 403, or (the storage's error without CORS headers) a fatal load error.
      if (network && (refused || data.fatal) && reloadSource()) return;
      if (data.fatal && network) hls.startLoad();
      else if (data.fatal && data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      // No manifest yet and no way on: controls without a Quality menu, not none at all.
      if (data.fatal && !hls.media) {
        startUi([], null);
        hls.attachMedia(video);
      }
    });
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src; // Safari plays HLS natively (with the CDN cookies in production)
    startUi([], null); // and picks the quality itself
  }
})();
