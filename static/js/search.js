// The results page's filters apply as soon as one changes (without JavaScript, the
// form's Apply button does it).
(function () {
  const form = document.querySelector("form[data-autosubmit]");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
  form.addEventListener("change", function () {
    form.requestSubmit();
  });
})();
