/* Progressive enhancements; the site works without them. No inline scripts (strict CSP). */
(function () {
  "use strict";

  // Registration: show only the organisation fields that apply to the chosen mode.
  function syncOrgMode(form) {
    var checked = form.querySelector('input[name="org_mode"]:checked');
    var mode = checked ? checked.value : "new";
    form.querySelectorAll("[data-org-mode]").forEach(function (el) {
      el.hidden = el.getAttribute("data-org-mode") !== mode;
    });
  }
  var register = document.getElementById("register-form");
  if (register) {
    register.addEventListener("change", function () { syncOrgMode(register); });
    syncOrgMode(register);
  }

  // Buttons that need a confirmation carry data-confirm="question".
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
