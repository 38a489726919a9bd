/* Import progress page: poll the job until it finishes, then reload to show the report. */
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var state = box.getAttribute("data-state");
  if (state === "succeeded" || state === "failed") { return; }
  var bar = box.querySelector("[data-progress-bar]");
  var message = box.querySelector("[data-job-message]");
  var url = box.getAttribute("data-job-url");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 3000); return; }
        var percent = Math.round((job.progress || 0) * 100);
        bar.style.width = percent + "%";
        bar.textContent = percent + "%";
        box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(percent));
        message.textContent = job.message || "";
        if (job.state === "succeeded" || job.state === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
