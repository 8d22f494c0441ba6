// Haven's only script: small conveniences. Every page works without it.
"use strict";
document.addEventListener("change", function (e) {
  // Filter selects apply at once instead of waiting for the button.
  var el = e.target;
  if (el && el.classList && el.classList.contains("autosubmit") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
