// Site-wide behaviour without inline handlers (the CSP allows no inline script).
document.addEventListener("submit", function (event) {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The navigation drawer is a popover the browser opens and closes without help; here its
// button says whether it is open (aria-expanded), and an open drawer closes when the
// window grows past the breakpoint in site.css, where the navigation is a column again.
(function () {
  const menu = document.getElementById("site-nav");
  const button = document.querySelector('[popovertarget="site-nav"]');
  if (!menu || !button || typeof menu.showPopover !== "function") return;
  const isOpen = () => menu.matches(":popover-open");
  const sync = () => button.setAttribute("aria-expanded", isOpen() ? "true" : "false");
  menu.addEventListener("toggle", sync);
  sync();
  const desktop = window.matchMedia("(min-width: 1100px)");
  desktop.addEventListener("change", function () {
    if (desktop.matches && isOpen()) menu.hidePopover();
  });
})();

// The account menu (a <details>) closes on Escape and on a click elsewhere.
(function () {
  const menu = document.querySelector(".account-menu");
  if (!menu) return;
  document.addEventListener("click", function (event) {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();

// Toasts: each message can be dismissed, and goes by itself after a while unless it is an
// error or the pointer is over it.
(function () {
  const TOAST_MS = 6000;
  function dismiss(toast) {
    toast.classList.add("leaving");
    window.setTimeout(function () { toast.remove(); }, 400);
  }
  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    const close = toast.querySelector(".toast-close");
    if (close) close.addEventListener("click", function () { dismiss(toast); });
    if (toast.classList.contains("error")) return;
    let timer = window.setTimeout(function () { dismiss(toast); }, TOAST_MS);
    toast.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
    toast.addEventListener("mouseleave", function () {
      timer = window.setTimeout(function () { dismiss(toast); }, TOAST_MS / 2);
    });
  }
  function armAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".toast").forEach(arm);
  }
  armAll(document);
  document.addEventListener("htmx:load", function (event) { armAll(event.target); });
})();

// The header's search suggestions: Down from the box goes to the first, Up and Down move
// between them, Escape closes them and returns to the box.
(function () {
  const box = document.getElementById("site-search");
  const list = document.getElementById("search-suggestions");
  if (!box || !list) return;
  const links = () => Array.from(list.querySelectorAll("a"));
  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    } else if (event.key === "Escape") {
      list.innerHTML = "";
    }
  });
  list.addEventListener("keydown", function (event) {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < all.length - 1) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? all[at - 1] : box).focus();
    } else if (event.key === "Escape") {
      list.innerHTML = "";
      box.focus();
    }
  });
})();
