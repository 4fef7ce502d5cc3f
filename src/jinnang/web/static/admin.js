// The admin page: ask before disabling a user or revoking a key; copy a new API key.
(function () {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const question = form.dataset.confirm;
      if (question && !window.confirm(question)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(button.dataset.copy); button.textContent = "✓"; }
      catch (_) { window.getSelection().selectAllChildren(document.querySelector("[data-testid=new-api-key]")); }
    });
  });
})();
