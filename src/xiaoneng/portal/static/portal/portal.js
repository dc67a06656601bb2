/* Portal behaviour (no inline handlers: CSP). */
document.addEventListener("click", function (e) {
  var t = e.target.closest(".js-print");
  if (t) { e.preventDefault(); window.print(); }
});
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.matches("form[data-confirm]") && !window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
});
