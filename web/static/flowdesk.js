// Progressive enhancement only: every page works without this file.
// A select marked data-autosubmit (the language switch) submits its form on change.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
