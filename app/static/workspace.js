// Select all rows of a list at once. The list works without this; it only saves clicks.
"use strict";
document.querySelectorAll("#select-all").forEach(function (master) {
  var form = master.getAttribute("data-form");
  var boxes = document.querySelectorAll('input[type="checkbox"][name="ids"][form="' + form + '"]');
  master.closest("[hidden]").hidden = false;
  master.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = master.checked; });
  });
});
