// The lead page, possible duplicates and quick entry: let htmx show a form that comes back with field errors (422).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
