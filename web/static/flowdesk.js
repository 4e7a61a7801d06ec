// Progressive enhancement only: every page works without this file.
// A select marked data-autosubmit (the language switch) submits its form on change.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});

// An instance diagram scrolls its active step into the middle of its frame (not the page).
document.addEventListener("DOMContentLoaded", function () {
  var frame = document.querySelector("figure.diagram");
  var active = frame && frame.querySelector(".state-active");
  if (!active || !active.getBoundingClientRect) { return; }
  var box = frame.getBoundingClientRect(), step = active.getBoundingClientRect();
  frame.scrollLeft += step.left - box.left - (frame.clientWidth - step.width) / 2;
  frame.scrollTop += step.top - box.top - (frame.clientHeight - step.height) / 2;
});
