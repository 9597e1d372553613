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
