// Behaviour attached by data attributes: the Content-Security-Policy forbids inline event handlers (onchange="…").

// The Chinese file picker (django/forms/widgets/_file_picker.html) shows the chosen file's name.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.classList || !input.classList.contains("filepick-input")) return;
  var name = input.closest(".filepick").querySelector(".filepick-name");
  if (name) name.textContent = input.files && input.files.length ? input.files[0].name : "未选择文件";
});

// <select data-autosubmit>: choosing a value submits its form (the year picker on division pages).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (!field.hasAttribute || !field.hasAttribute("data-autosubmit") || !field.form) return;
  if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
});

// <a data-history-back>: back to the previous page with its form input kept (the busy page, sunshine/core/busy.py).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-history-back]");
  if (!link || window.history.length < 2) return;
  event.preventDefault();
  window.history.back();
});
