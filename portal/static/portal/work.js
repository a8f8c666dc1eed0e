/* Officer pages: announce htmx results to screen readers; stop double submits. */
(function () {
  "use strict";

  // The claim/unclaim responses carry HX-Trigger {"avisoBandeja": "<message>"}; the
  // message goes to the page's polite live region so it is read out.
  document.body.addEventListener("avisoBandeja", function (event) {
    var live = document.getElementById("avisos-bandeja");
    if (!live || !event.detail) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = event.detail.value || ""; }, 50);
  });

  // A form marked data-un-envio is sent once: a second click while the first request
  // is on its way does nothing (the server also refuses a repeated completion).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-un-envio")) return;
    if (form.dataset.enviando === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.enviando = "1";
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      delete form.dataset.enviando;
      form.removeAttribute("aria-busy");
    }, 8000);
  });

  // Move focus to the first alert after a failed submission so it is read first.
  document.addEventListener("DOMContentLoaded", function () {
    var alert = document.querySelector("#aviso-conflicto, .schemaform-errores, [id$='-errores'][role='alert']");
    if (alert) alert.focus();
  });
})();
