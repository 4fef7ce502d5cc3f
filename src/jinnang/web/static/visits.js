// The visit pages: the chosen customer's last record on /visits/new, and the confirm / fix / remove
// buttons of /visits/{id}, which call POST /v1/review/records/{record_id}/items.
(function () {
  const words = (document.getElementById("words") || { dataset: {} }).dataset;

  function text(tag, content, cls) {
    const el = document.createElement(tag);
    el.textContent = content;
    if (cls) { el.className = cls; }
    return el;
  }

  // ---- /visits/new
  const select = document.getElementById("account-select");
  const last = document.getElementById("last-record");
  const hospital = document.getElementById("hospital-field");
  function objectionTags(list) {
    const span = document.createElement("span");
    if (!list.length) { span.textContent = words.none; }
    for (const o of list) { span.appendChild(text("span", words["obj" + o.category[0].toUpperCase() + o.category.slice(1)] || o.category, "tag")); }
    return span;
  }
  async function showLast() {
    if (hospital) { hospital.hidden = Boolean(select.value); }
    last.replaceChildren();
    if (!select.value) { return; }
    try {
      const answer = await window.jinnang.send("GET", "/visits/last-record?account_id=" + encodeURIComponent(select.value));
      if (!answer.last) { last.textContent = words.empty; return; }
      const l = answer.last;
      last.append(text("strong", words.last), "：" + l.date + " · " + words.node + "「" + l.node_label + "」", document.createElement("br"),
                  words.lastObjections + "：", objectionTags(l.objections), document.createElement("br"),
                  words.openObjections + "：", objectionTags(l.open_objections));
    } catch (err) { last.textContent = err.message; }
  }
  if (select && last) {
    select.addEventListener("change", showLast);
    if (hospital) { hospital.hidden = Boolean(select.value); }
  }
  const form = document.getElementById("visit-form");
  if (form) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = button.dataset.busy; }
    });
  }

  // ---- /visits/{id}
  function valueOf(fixForm) {
    const value = {};
    for (const input of fixForm.querySelectorAll("input[name], select[name]")) {
      const type = input.dataset.type;
      if (type === "bool") { value[input.name] = input.checked; }
      else if (type === "list") { value[input.name] = value[input.name] || []; if (input.checked) { value[input.name].push(input.value); } }
      else if (type === "int") { value[input.name] = parseInt(input.value || "0", 10); }
      else { value[input.name] = input.value.trim() || null; }
    }
    return value;
  }
  async function review(item, action, value) {
    const recordId = item.closest("[data-record-id]").dataset.recordId;
    const state = item.querySelector("[data-state]");
    const body = { field: item.dataset.field, index: parseInt(item.dataset.index, 10), action };
    if (value !== undefined) { body.value = value; }
    try {
      await window.jinnang.send("POST", "/v1/review/records/" + recordId + "/items", body);
      state.textContent = words[action];
      state.className = "state ok";
      item.dataset.reviewed = action;
      if (action === "reject") { item.style.opacity = "0.5"; }
    } catch (err) {
      state.textContent = words.failed + err.message;
      state.className = "state error";
    }
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-review]");
    if (!button) { return; }
    const item = button.closest("[data-field]");
    if (button.dataset.review === "fix") {
      const fixForm = item.querySelector("form.fix");
      fixForm.hidden = !fixForm.hidden;
      return;
    }
    review(item, button.dataset.review);
  });
  document.addEventListener("submit", (event) => {
    const fixForm = event.target.closest("form.fix");
    if (!fixForm) { return; }
    event.preventDefault();
    review(fixForm.closest("[data-field]"), "correct", valueOf(fixForm)).then(() => { fixForm.hidden = true; });
  });
})();
