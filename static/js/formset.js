// "Add a row" on the formset editors (plan steps, scenario shocks), from a file: the Content-Security-Policy allows no
// inline script. A new row is the formset's empty form (<template id="PREFIX-empty-row">) with __prefix__ replaced by
// the next index and __number__ by the row's number, counted in PREFIX-TOTAL_FORMS: the rows already typed stay as
// they are, and a new row left blank is skipped on save like any other blank row.
(function () {
  "use strict";

  function addRow(prefix) {
    var template = document.getElementById(prefix + "-empty-row");
    var rows = document.getElementById(prefix + "-rows");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!template || !rows || !total) {
      return;
    }
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) {
      return;
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var row = document.getElementById(prefix + "-row-" + index);
    var first = row && row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
    }
  }

  function showButtons() {
    document.querySelectorAll("[data-formset-add]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (button) {
      event.preventDefault();
      addRow(button.getAttribute("data-formset-add"));
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showButtons);
  } else {
    showButtons();
  }
})();
