/* Posko's page behaviour, loaded by base.html on every page. The Content-Security-Policy
 * allows no inline script and no on* handler, so templates say what they want with data-*
 * attributes and this file acts on them by event delegation (it also covers content that
 * htmx swaps in later):
 *   <select data-autosubmit>    changing it submits its form (the filters, the language
 *                               switcher); a <noscript> button does the same without JS
 *   <form data-mark-changed>    a changed field marks its table cell with the class "changed"
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
      return;
    }
    if (target.closest("form[data-mark-changed]")) {
      var cell = target.closest("td");
      if (cell) { cell.classList.add("changed"); }
    }
  });
})();
