// Site-wide behaviour without inline handlers (the CSP allows no inline script).
document.addEventListener("submit", function (event) {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The header menu is a popover the browser opens and closes without help; here its button
// says whether it is open (aria-expanded), and an open menu closes when the window grows
// past the breakpoint in site.css, where the navigation is a plain row again.
(function () {
  const menu = document.getElementById("site-nav");
  const button = document.querySelector('[popovertarget="site-nav"]');
  if (!menu || !button || typeof menu.showPopover !== "function") return;
  const isOpen = () => menu.matches(":popover-open");
  const sync = () => button.setAttribute("aria-expanded", isOpen() ? "true" : "false");
  menu.addEventListener("toggle", sync);
  sync();
  const desktop = window.matchMedia("(min-width: 900px)");
  desktop.addEventListener("change", function () {
    if (desktop.matches && isOpen()) menu.hidePopover();
  });
})();
