// Render LaTeX ($…$, $$…$$, \(…\)) in titles, abstracts and comments with KaTeX, on load and after htmx swaps.
function renderMath(root) {
  if (!window.renderMathInElement) return;
  renderMathInElement(root, {
    delimiters: [
      {left: "$$", right: "$$", display: true},
      {left: "$", right: "$", display: false},
      {left: "\\(", right: "\\)", display: false},
      {left: "\\[", right: "\\]", display: true},
    ],
    ignoredClasses: ["no-math"],
    throwOnError: false,
  });
}
document.addEventListener("DOMContentLoaded", () => renderMath(document.body));
// htmx:load names each new piece, out-of-band swaps too (a posted comment).
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt !== document.body) renderMath(event.detail.elt);
});

// The header's menu (base.html) is a dropdown on a phone and inline links on wider
// screens. There it is kept open: a closed <details> hides its links from screen
// readers (and from browsers without ::details-content) whatever the CSS shows.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector("details.menu");
  if (!menu) return;
  const wide = window.matchMedia("(min-width: 701px)");
  const follow = () => { menu.open = wide.matches; };
  follow();
  wide.addEventListener("change", follow);
  // A tap outside the open dropdown closes it, as menus do.
  document.addEventListener("click", (event) => {
    if (!wide.matches && menu.open && !menu.contains(event.target)) menu.open = false;
  });
});
