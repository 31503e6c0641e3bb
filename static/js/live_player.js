// Live page: start the right player when the live state arrives (on load or when
// the htmx poll swaps in the player), hls.js locally or the IVS player on AWS.
(function () {
  "use strict";

  function meta(name) {
    const el = document.querySelector('meta[name="' + name + '"]');
    return el ? new URL(el.content, window.location.href).href : "";
  }

  function startHls(container, video) {
    if (!(window.Hls && window.Hls.isSupported())) {
      video.src = container.dataset.src;
      return;
    }
    const hls = new window.Hls({ liveSyncDurationCount: 2, lowLatencyMode: true });
    window.livePlayer = hls;
    hls.loadSource(container.dataset.src);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
    hls.on(window.Hls.Events.ERROR, function (_e, data) {
      if (data.fatal) setTimeout(function () { hls.startLoad(); }, 1000);
    });
  }

  function startIvs(container, video) {
    const ivs = window.IVSPlayerModule;
    if (!ivs || !ivs.isPlayerSupported) return;
    const player = ivs.create({ wasmWorker: meta("ivs-wasm-worker"), wasmBinary: meta("ivs-wasm-binary") });
    window.livePlayer = player;
    player.attachHTMLVideoElement(video);
    player.load(container.dataset.src);
    player.play();
  }

  function init(root) {
    const container = root.querySelector && root.querySelector(".live-player");
    if (!container || container.dataset.started) return;
    container.dataset.started = "1";
    const video = container.querySelector("video");
    if (container.dataset.player === "ivs") startIvs(container, video);
    else startHls(container, video);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body.addEventListener("htmx:load", function (event) { init(event.target.parentNode || document); });
})();
