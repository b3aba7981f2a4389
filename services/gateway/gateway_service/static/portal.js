// Forms of the link pages post JSON to the API and show its French answer (progressive: no framework).
"use strict";
function show(text, isError) {
  const box = document.querySelector(".message");
  box.textContent = text;
  box.className = "message" + (isError ? " erreur" : " succes");
  box.hidden = false;
}
async function send(form) {
  const body = {token: form.dataset.token};
  for (const input of form.querySelectorAll("input[name]")) {
    body[input.name] = input.type === "checkbox" ? input.checked : input.value;
  }
  const reply = await fetch(form.dataset.api, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await reply.json().catch(() => ({}));
  if (reply.ok) {
    show(form.dataset.done || data.message || "C'est fait.", false);
  } else {
    const error = data.error || {};
    const details = Object.values(error.fields || {}).join(" ");
    show([error.message, details].filter(Boolean).join(" ") || "Une erreur est survenue.", true);
  }
}
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-api]")) {
    form.addEventListener("submit", (event) => { event.preventDefault(); send(form); });
    if (form.dataset.auto === "true") { send(form); }
  }
});
