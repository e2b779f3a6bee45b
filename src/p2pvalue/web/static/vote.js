// The cost of a quadratic ballot, shown as the member types (n votes cost n² credits).
// A file, not an inline script: the pages' Content-Security-Policy runs scripts from /static only.
"use strict";
(function () {
  const form = document.getElementById("vote-form");
  const used = document.getElementById("credits-used");
  if (!form || !used) return;
  form.addEventListener("input", function () {
    let cost = 0;
    for (const box of form.querySelectorAll("input.quadratic")) {
      const n = Number(box.value) || 0;
      cost += n * n;
    }
    used.value = cost;
  });
})();
