// The one control bar of every player on the site: Plyr around a <video> that hls.js
// feeds. Plyr only draws controls; the page's own
// script keeps the streaming library and hands the quality choices over here.
//
// Nothing comes from Plyr's CDN: the icons are our vendored plyr.svg (data-icon-url,
// from {% static %}) and there is no blank video to load when the player is destroyed.
(function () {
  "use strict";

  // hls.js's currentLevel for "choose by bandwidth"; the Quality menu shows it as "Auto".
  const AUTO_LEVEL = -1;
  // j and l jump this far (YouTube's keys); the arrows step by Plyr's seekTime.
  const JUMP_S = 10;
  const ARROW_SEEK_S = 5;

  // j/l are ours: Plyr has no j, and its l toggles looping. Listening while capturing
  // on Plyr's own container, we see the key first and keep it from Plyr.
  function bindJumpKeys(plyr) {
    plyr.elements.container.addEventListener(
      "keydown",
      function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
        const key = event.key && event.key.toLowerCase();
        if (key !== "j" && key !== "l") return;
        event.preventDefault();
        event.stopPropagation();
        if (key === "j") plyr.rewind(JUMP_S);
        else plyr.forward(JUMP_S);
      },
      true
    );
  }

  function pageLabels() {
    const element = document.getElementById("player-labels");
    try {
      return element ? JSON.parse(element.textContent) : {};
    } catch (error) {
      return {};
    }
  }

  // Plyr's quality values are heights; Auto is AUTO_LEVEL. Returns the menu's values
  // (none when there is nothing to choose) and the hls.js level index of each.
  function qualityChoices(levels) {
    const indexByHeight = new Map();
    (levels || []).forEach(function (level, index) {
      if (level.height && !indexByHeight.has(level.height)) indexByHeight.set(level.height, index);
    });
    if (indexByHeight.size < 2) return { values: [], indexByHeight: indexByHeight };
    const heights = Array.from(indexByHeight.keys()).sort(function (a, b) {
      return b - a;
    });
    return { values: [AUTO_LEVEL].concat(heights), indexByHeight: indexByHeight };
  }

  // options:
  //   iconUrl   our plyr.svg
  //   live      true for a live stream (no progress bar or duration to show)
  //   levels    hls.js levels, for the Quality menu (leave out when there is no hls.js)
  //   setLevel  function (levelIndex) called with an hls.js level index or AUTO_LEVEL
  //   label     the player's name for screen readers, autoLabel the Quality menu's "Auto"
  //             (both translated by the page: data-player-label, data-auto-label)
  window.createPlayerUi = function (video, options) {
    const quality = qualityChoices(options.levels);
    const controls = options.live
      ? ["play-large", "play", "current-time", "mute", "volume", "captions", "settings", "pip", "fullscreen"]
      : ["play-large", "play", "progress", "current-time", "duration", "mute", "volume", "captions", "settings", "pip", "fullscreen"];
    const config = {
      iconUrl: options.iconUrl,
      blankVideo: "",
      controls: controls,
      settings: ["captions", "quality", "speed"],
      keyboard: { focused: true, global: false },
      seekTime: ARROW_SEEK_S,
      invertTime: false,
      ratio: "16:9",
      tooltips: { controls: true, seek: true },
      // Tracks hls.js adds later (subtitles) show up in the captions menu.
      captions: { active: false, language: "auto", update: true },
      // The controls' names in the page's language ({% player_labels %}), else Plyr's.
      i18n: Object.assign(pageLabels(), { qualityLabel: { [AUTO_LEVEL]: options.autoLabel || "Auto" } }),
      // Plyr remembers volume, speed and quality in localStorage. Not for live: it plays
      // on arrival, which browsers allow only muted, and a remembered volume unmutes it.
      storage: { enabled: !options.live, key: "plyr" },
    };
    if (quality.values.length) {
      config.quality = {
        default: AUTO_LEVEL,
        options: quality.values,
        // forced: Plyr does not swap <source>s; the streaming library changes level.
        forced: true,
        onChange: function (value) {
          const index = value === AUTO_LEVEL ? AUTO_LEVEL : quality.indexByHeight.get(value);
          if (index !== undefined && options.setLevel) options.setLevel(index);
        },
      };
    }
    const plyr = new window.Plyr(video, config);
    // The player box itself takes focus (as on YouTube), so its keys work after a click
    // anywhere on it or a Tab to it.
    plyr.elements.container.setAttribute("tabindex", "0");
    plyr.elements.container.setAttribute("aria-label", options.label || "Video player");
    bindJumpKeys(plyr);
    return plyr;
  };
  window.createPlayerUi.AUTO_LEVEL = AUTO_LEVEL;
})();
