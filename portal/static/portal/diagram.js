/* The case file's diagram: bpmn-js NavigatedViewer (local copy), with the completed and
   active steps marked. The page also describes both lists in text for screen readers. */
(function () {
  "use strict";

  function fail(container) {
    container.classList.add("d-none");
    var message = document.getElementById("diagrama-error");
    if (message) message.classList.remove("d-none");
  }

  function draw() {
    var container = document.getElementById("diagrama");
    var statesNode = document.getElementById("diagrama-estados");
    if (!container || !statesNode) return;
    if (typeof window.BpmnJS !== "function") { fail(container); return; }
    var states = JSON.parse(statesNode.textContent);
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.xmlUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        (states.completed || []).forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, "paso-completado");
        });
        (states.active || []).forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, "paso-activo");
        });
        container.dataset.estado = "listo";
      })
      .catch(function () { fail(container); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
