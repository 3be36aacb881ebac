// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher applies a choice at once; its button stays for keyboard and no-JS use.
  document.querySelectorAll("select.js-autosubmit").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
  // A double click submits a form once.
  document.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitted) {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
    });
  });
});
