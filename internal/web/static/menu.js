// The top bar's menu button: on narrow screens the navigation collapses behind it.
// Without this script the navigation simply stays open, so every page works without it.
(function () {
  "use strict";
  var bar = document.querySelector(".topbar");
  var toggle = bar && bar.querySelector(".menu-toggle");
  if (!toggle) {
    return;
  }
  function setOpen(open) {
    bar.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  bar.classList.add("collapsible");
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  bar.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
