// Render LaTeX ($…$, $$…$$, \(…\)) in titles and abstracts with KaTeX, on load and after htmx swaps.
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
document.addEventListener("htmx:afterSwap", (event) => renderMath(event.detail.target));
