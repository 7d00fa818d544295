// On every page: regions that scroll (code, wide tables) take keyboard focus, so they can be scrolled with the
// arrow keys and not only with a mouse (WCAG 2.1.1; axe's scrollable-region-focusable).
(function () {
  function focusable() {
    document.querySelectorAll("pre, .table-scroll").forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
      if (scrolls && !el.hasAttribute("tabindex")) el.tabIndex = 0;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusable);
  else focusable();
  window.addEventListener("resize", focusable);
})();
