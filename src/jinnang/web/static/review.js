// Review pages: one item at a time to POST /v1/review/records/{id}/items, keyboard shortcuts, select-all.
(function () {
  const selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", () => {
      document.querySelectorAll('input[name="record"]').forEach((box) => { box.checked = selectAll.checked; });
    });
  }
  const root = document.getElementById("review-record");
  if (!root) { return; }
  const recordId = root.dataset.recordId;
  const message = document.getElementById("review-message");

  function valueOf(form) {
    const value = {};
    form.querySelectorAll("input, select").forEach((input) => {
      if (!input.name) { return; }
      const type = input.dataset.type;
      if (type === "bool") { value[input.name] = input.checked; }
      else if (type === "int") { value[input.name] = parseInt(input.value || "0", 10); }
      else if (type === "list") {
        value[input.name] = value[input.name] || [];
        if (input.checked) { value[input.name].push(input.value); }
      } else { value[input.name] = input.value.trim() === "" ? null : input.value.trim(); }
    });
    return value;
  }

  async function send(item, action, value) {
    const index = item.dataset.index === "" ? null : parseInt(item.dataset.index, 10);
    const body = { field: item.dataset.field, index, action };
    if (value !== undefined) { body.value = value; }
    try {
      await window.jinnang.send("POST", `/v1/review/records/${recordId}/items`, body);
      message.textContent = root.dataset.saved;
      message.className = "ok";
      return true;
    } catch (error) {
      message.textContent = `${root.dataset.failed}: ${error.message}`;
      message.className = "error";
      return false;
    }
  }

  function mark(item, status) {
    item.className = item.className.replace(/\bst-\w+/, `st-${status}`);
    item.dataset.status = status;
  }

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) { return; }
    const item = button.closest(".review-item");
    const action = button.dataset.action;
    if (action === "edit") { item.classList.add("editing"); const first = item.querySelector("form.edit input, form.edit select"); if (first) { first.focus(); } return; }
    if (action === "cancel") { item.classList.remove("editing"); return; }
    if (await send(item, action)) {
      mark(item, action === "accept" ? "accepted" : "rejected");
      const label = item.querySelector(".st");
      if (label) { label.textContent = button.textContent; }
    }
  });

  root.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const item = form.closest(".review-item");
    const action = item.dataset.new ? "add" : "correct";
    if (await send(item, action, valueOf(form))) { window.location.reload(); }
  });

  // hovering an item shows where it was read
  root.addEventListener("mouseover", (event) => {
    const item = event.target.closest(".review-item");
    document.querySelectorAll("mark.focus").forEach((m) => m.classList.remove("focus"));
    if (!item || item.dataset.new) { return; }
    const selector = `mark[data-field="${item.dataset.field}"][data-index="${item.dataset.index}"]`;
    document.querySelectorAll(selector).forEach((m) => m.classList.add("focus"));
  });

  async function acceptAll() {
    const open = root.querySelectorAll('.review-item[data-status="machine"]');
    for (const item of open) {
      if (!(await send(item, "accept"))) { return; }
      mark(item, "accepted");
    }
  }
  document.getElementById("accept-all").addEventListener("click", acceptAll);

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const go = (id) => { const link = document.getElementById(id); if (link) { window.location.href = link.href; } };
    if (event.key === "j") { go("next-record"); }
    else if (event.key === "k") { go("previous-record"); }
    else if (event.key === "a") { acceptAll(); }
    else if (event.key === "e") {
      const first = root.querySelector(".review-item:not([data-new]) button[data-action=edit]");
      if (first) { event.preventDefault(); first.click(); }
    } else if (event.key === "?") {
      const help = document.getElementById("shortcuts-help");
      help.hidden = !help.hidden;
    }
  });
})();
