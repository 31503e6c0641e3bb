// Live page: start the player when the live state arrives (on load or when the htmx poll
// swaps in the player). hls.js plays the stream, from the local ingest or from IVS (its
// playback URLs are HLS); Plyr (player_ui.js) draws the same control bar as on the watch
// page.
(function () {
  "use strict";

  // Once per player: the controls, exposed for tests as window.livePlayerUi. A Quality
  // menu only when hls.js has levels to choose from.
  function startUi(container, video, levels, setLevel) {
    if (container.dataset.ui || !window.createPlayerUi) return;
    container.dataset.ui = "1";
    window.livePlayerUi = window.createPlayerUi(video, {
      iconUrl: container.dataset.iconUrl,
      label: container.dataset.playerLabel,
      autoLabel: container.dataset.autoLabel,
      live: true,
      levels: levels,
      setLevel: setLevel,
    });
  }

  function startHls(container, video) {
    if (!(window.Hls && window.Hls.isSupported())) {
      video.src = container.dataset.src;
      startUi(container, video, [], null);
      return;
    }
    const hls = new window.Hls({ liveSyncDurationCount: 2, lowLatencyMode: true });
    window.livePlayer = hls;
    hls.loadSource(container.dataset.src);
    // Controls first, then hls.js: Plyr moves the <video> into its wrapper, and a video
    // moved after hls.js gave it its MediaSource loads it again and fails.
    hls.on(window.Hls.Events.MANIFEST_PARSED, function (_e, data) {
      startUi(container, video, data.levels, function (index) {
        if (index === -1 ? hls.autoLevelEnabled : hls.manualLevel === index) return;
        hls.currentLevel = index;
      });
      if (!hls.media) hls.attachMedia(video);
      video.play().catch(function () {});
    });
    hls.on(window.Hls.Events.ERROR, function (_e, data) {
      if (!data.fatal) return;
      setTimeout(function () { hls.startLoad(); }, 1000);
      startUi(container, video, [], null); // controls while it retries, if none yet
      if (!hls.media) hls.attachMedia(video);
    });
  }

  function init(root) {
    const container = root.querySelector && root.querySelector(".live-player");
    if (!container || container.dataset.started) return;
    container.dataset.started = "1";
    const video = container.querySelector("video");
    startHls(container, video);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body.addEventListener("htmx:load", function (event) { init(event.target.parentNode || document); });
})();
