// Forms: a dangerous action asks for confirmation (data-confirm on the form or its
// button), and a form sends once: its buttons are disabled as it is submitted, so a
// double click never acts twice (the server refuses a repeat as well).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  window.setTimeout(function () {
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
