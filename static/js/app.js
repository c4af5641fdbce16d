// Behaviour that pages would otherwise write inline (the Content-Security-Policy allows scripts from files only).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-action='print']");
  if (button) {
    window.print();
  }
});
