// Settings: the "Copy" button beside a secret shown once (a new password or API key).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentElement.querySelector(".copied");
  if (!source || !navigator.clipboard) {
    if (status) { status.textContent = "Select the text and copy it by hand."; }
    return;
  }
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    if (status) { status.textContent = "Copied."; }
  }, function () {
    if (status) { status.textContent = "Could not copy: select the text and copy it by hand."; }
  });
});
