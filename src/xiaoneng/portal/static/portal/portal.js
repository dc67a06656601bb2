/* Portal behaviour (no inline handlers: CSP). */
document.addEventListener("click", function (e) {
  var t = e.target.closest(".js-print");
  if (t) { e.preventDefault(); window.print(); }
});
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.matches("form[data-confirm]") && !window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
});
/* Sign-up: show the ID number for a person, the credit code for an organisation. */
(function () {
  var radios = document.querySelectorAll('input[name="applicant_type"]');
  var person = document.querySelector(".js-person"), org = document.querySelector(".js-org");
  if (!radios.length || !person || !org) { return; }
  function sync() {
    var checked = document.querySelector('input[name="applicant_type"]:checked');
    var isOrg = checked && checked.value === "organisation";
    person.hidden = isOrg; org.hidden = !isOrg;
  }
  radios.forEach(function (r) { r.addEventListener("change", sync); });
  sync();
})();
