// The effect page (/effect): show the result partial's 422 answer (one sentence: a choice the analysis cannot
// make) in place of the result.  htmx swaps no 4xx answer by default; a file, not an inline script, because
// the CSP allows scripts from the app only.
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (event.detail.xhr.status === 422 && target && target.id === "effect-result") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
