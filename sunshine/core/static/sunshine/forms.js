// The Chinese file picker (django/forms/widgets/_file_picker.html) shows the chosen file's name.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.classList || !input.classList.contains("filepick-input")) return;
  var name = input.closest(".filepick").querySelector(".filepick-name");
  if (name) name.textContent = input.files && input.files.length ? input.files[0].name : "未选择文件";
});
