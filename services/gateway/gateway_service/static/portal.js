// The portal's only script (no framework, no inline script: the CSP forbids them).
// Forms marked data-api post JSON to the gateway's API — the same API as every client — with
// the session's CSRF token, then show its French answer: each error next to its field
// (data-error-for, tied to the input by aria-describedby), the rest in the form's summary.
"use strict";
(() => {
  const CSRF_COOKIE = "consignations_csrf";
  const FLASH = "consignations.message";
  const SIGNUP = "consignations.inscription";
  const GENERIC = "Une erreur est survenue. Veuillez réessayer.";
  const OFFLINE = "Le service ne répond pas. Vérifiez votre connexion puis réessayez.";

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  // One key per page load: a retried « Oui » (double click, network error) is the same submission.
  const IDEMPOTENCY_KEY = (crypto.randomUUID ? crypto.randomUUID()
    : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join(""));

  async function api(method, url, body, extraHeaders) {
    const headers = {Accept: "application/json", ...(extraHeaders || {})};
    const csrf = cookie(CSRF_COOKIE);
    if (csrf) headers["X-CSRF-Token"] = csrf;
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let reply;
    try {
      reply = await fetch(url, {method, headers, body: payload, credentials: "same-origin"});
    } catch (_) {
      return {ok: false, status: 0, data: {error: {message: OFFLINE}}};
    }
    const data = reply.status === 204 ? {} : await reply.json().catch(() => ({}));
    return {ok: reply.ok, status: reply.status, data};
  }

  // --- messages ------------------------------------------------------------------------------
  function flash(text) { if (text) sessionStorage.setItem(FLASH, text); }

  function say(box, text, isError) {
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("erreur", Boolean(isError));
    box.classList.toggle("succes", !isError);
    box.hidden = false;
  }

  function pageMessage(text, isError) {
    const box = document.getElementById("message-page");
    say(box, text, isError);
    if (box) box.scrollIntoView({block: "nearest"});
  }

  function signupData() {
    try { return JSON.parse(sessionStorage.getItem(SIGNUP) || "{}"); } catch (_) { return {}; }
  }

  // --- errors next to their fields -----------------------------------------------------------
  function clearErrors(scope) {
    for (const slot of scope.querySelectorAll("[data-error-for]")) { slot.textContent = ""; slot.hidden = true; }
    for (const input of scope.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    for (const box of scope.querySelectorAll(".resume-erreurs, .confirmation")) { box.textContent = ""; box.hidden = true; }
  }

  function slotFor(scope, key) {
    for (const slot of scope.querySelectorAll("[data-error-for]")) {
      if (slot.dataset.errorFor.split(/\s+/).includes(key)) return slot;
    }
    return null;
  }

  function showErrors(scope, error) {
    const loose = [];
    let first = null;
    for (const [key, text] of Object.entries(error.fields || {})) {
      const slot = slotFor(scope, key);
      if (!slot) { loose.push(text); continue; }
      slot.textContent = slot.hidden ? text : slot.textContent + " " + text;
      slot.hidden = false;
      const input = slot.dataset.input ? document.getElementById(slot.dataset.input) : null;
      if (input) input.setAttribute("aria-invalid", "true");
      first = first || input || slot;
    }
    const summary = scope.querySelector(".resume-erreurs");
    const shown = Object.values(error.fields || {});
    const general = shown.includes(error.message) ? "" : error.message;
    const lines = [general || (first ? "" : GENERIC), ...loose].filter(Boolean);
    if (summary && lines.length) {
      summary.textContent = lines.join(" ");
      summary.hidden = false;
    } else if (!summary && lines.length) {
      pageMessage(lines.join(" "), true);
    }
    first = scope.querySelector('[aria-invalid="true"]') || first;  // the first in reading order
    const target = first && first.matches("input, select, textarea") ? first : (summary && !summary.hidden ? summary : first);
    if (target) {
      if (!target.matches("input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  // --- confirmation pop-in -------------------------------------------------------------------
  function ask(dialogId) {
    const dialog = document.getElementById(dialogId);
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm("Confirmez-vous ?") ? "oui" : "");
    return new Promise((resolve) => {
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue), {once: true});
      dialog.showModal();
    });
  }

  // --- forms -----------------------------------------------------------------------------------
  function valueOf(element) {
    if (element.dataset.type === "bool") return element.value === "true";
    if (element.dataset.type === "int") return parseInt(element.value, 10);
    return element.value;
  }

  function collect(form, submitter) {
    const body = {};
    if (form.dataset.token !== undefined) body.token = form.dataset.token;
    if ("signup" in form.dataset) body.signup_token = signupData().token || "";
    for (const element of form.elements) {
      if (!element.name || element.disabled || "ignore" in element.dataset) continue;
      if (["submit", "button", "file", "reset"].includes(element.type)) continue;
      if (element.type === "checkbox" && "array" in element.dataset) {  // several values of one name
        body[element.name] = body[element.name] || [];
        if (element.checked) body[element.name].push(element.value);
        continue;
      }
      if (element.type === "checkbox") { body[element.name] = element.checked; continue; }
      if (element.type === "radio") { if (element.checked) body[element.name] = valueOf(element); continue; }
      if (element.value === "" && "omitEmpty" in element.dataset) continue;
      body[element.name] = valueOf(element);
    }
    if (submitter && submitter.name) body[submitter.name] = valueOf(submitter);
    if (form.dataset.wrap) {  // e.g. {values: {...fields}, complete: true} for a request's step 1
      const kept = (form.dataset.keep || "").split(/\s+/).filter(Boolean);
      const wrapped = {[form.dataset.wrap]: {}};
      for (const [key, value] of Object.entries(body)) {
        if (kept.includes(key)) wrapped[key] = value; else wrapped[form.dataset.wrap][key] = value;
      }
      return wrapped;
    }
    return body;
  }

  function setting(form, submitter, name) {
    return (submitter && submitter.dataset[name] !== undefined) ? submitter.dataset[name] : form.dataset[name];
  }

  function go(next, message) {
    flash(message);
    const target = new URL(next, location.href);
    if (target.pathname === location.pathname && target.search === location.search) {
      location.hash = target.hash;
      location.reload();
    } else {
      location.assign(target.href);
    }
  }

  async function submit(form, submitter) {
    if (form.dataset.busy) return;
    const url = setting(form, submitter, "api");
    const method = (setting(form, submitter, "method") || "POST").toUpperCase();
    const body = collect(form, submitter);
    if (form.dataset.confirm) {
      const answer = await ask(form.dataset.confirm);
      if (form.dataset.confirmField) {
        if (answer !== "oui" && answer !== "non") return;
        body[form.dataset.confirmField] = answer === "oui";
      } else if (answer !== "oui") {
        return;
      }
    }
    clearErrors(form);
    form.dataset.busy = "1";
    form.setAttribute("aria-busy", "true");
    const files = form.querySelector("input[data-message-files]");
    const joined = files && files.files.length ? await joinFiles(files) : null;
    if (joined && joined.error) {
      delete form.dataset.busy;
      form.removeAttribute("aria-busy");
      showErrors(form, joined.error);
      return;
    }
    if (joined) body.attachments = joined.ids;
    const headers = "idempotency" in form.dataset ? {"Idempotency-Key": IDEMPOTENCY_KEY} : undefined;
    const reply = await api(method, url, method === "DELETE" ? undefined : body, headers);
    delete form.dataset.busy;
    form.removeAttribute("aria-busy");
    const hook = hooks[form.dataset.hook] || {};
    const ok = reply.ok || (hook.alsoOk && hook.alsoOk(reply));
    if (ok) {
      if (hook.success && hook.success(reply.data, form, body) === false) return;
      const done = setting(form, submitter, "done") || reply.data.message;
      const next = setting(form, submitter, "next");
      if (next) { go(next, done); return; }
      if ("quiet" in form.dataset) return;
      const box = form.querySelector(".confirmation");
      if (box) say(box, done || "C'est fait.", false); else pageMessage(done || "C'est fait.", false);
      return;
    }
    if (reply.status === 401 && document.querySelector(".menu") && form.dataset.hook !== "logout") {
      flash("Votre session a expiré. Veuillez vous reconnecter.");
      location.assign("/connexion?suite=" + encodeURIComponent(location.pathname));
      return;
    }
    if (hook.error) hook.error(reply.data, form);
    if ("quiet" in form.dataset) return;
    showErrors(form, (reply.data && reply.data.error) || {message: GENERIC});
  }

  // Files joined to a thread reply (MS-6): each one becomes a document of the request (« Autre
  // document »: uploaded, then attached) and the reply carries their ids. A reply refused (e.g.
  // for personal data) and sent again reuses the files already sent.
  async function joinFiles(input) {
    const max = parseInt(input.dataset.max || "5", 10);
    if (input.files.length > max) {
      return {error: {message: `${max} fichiers au plus par message.`, fields: {attachments: `Choisissez ${max} fichiers au plus.`}}};
    }
    input.joined = input.joined || new Map();
    const ids = [];
    for (const file of input.files) {
      const key = [file.name, file.size, file.lastModified].join("|");
      if (!input.joined.has(key)) {
        const data = new FormData();
        data.append("owner_service", "demandes");
        data.append("owner_id", input.dataset.ownerId);
        data.append("kind", "OTHER");
        data.append("file", file, file.name);
        let reply = await api("POST", "/api/documents", data);
        if (reply.ok) reply = await api("POST", `/api/documents/${reply.data.id}/attach`);
        if (!reply.ok) {
          const error = reply.data.error || {message: GENERIC};
          const fields = Object.fromEntries(Object.entries(error.fields || {}).map(([key, text]) => [key, `« ${file.name} » : ${text}`]));
          return {error: {...error, message: `« ${file.name} » : ${error.message || GENERIC}`, fields}};
        }
        input.joined.set(key, reply.data.id);
      }
      ids.push(input.joined.get(key));
    }
    return {ids};
  }

  // Named behaviours of a few forms (data-hook).
  const hooks = {
    login: {
      success(data, form) { location.assign(form.dataset.suite || "/espace"); return false; },
    },
    logout: {
      alsoOk: (reply) => reply.status === 401,  // an expired session is as good as closed
    },
    signup: {
      success(data, form, body) {
        sessionStorage.setItem(SIGNUP, JSON.stringify({token: data.signup_token || "", email: body.email || ""}));
      },
      error(data, form) { refreshCaptcha(form); },
    },
    "signup-code": {
      error(data) {
        if (data.error && data.error.code === "gone") {
          data.error.message = data.error.message + " Recommencez la création de votre compte depuis le début.";
        }
      },
    },
    forgotten: {
      success(data, form) {
        form.hidden = true;
        const done = document.querySelector("[data-forgotten-done]");
        done.hidden = false;
        done.focus();
        return false;
      },
    },
    activation: {
      success(data, form) {
        form.querySelector("[data-pending-text]").hidden = true;
        form.querySelector("[data-success]").hidden = false;
        return false;
      },
      error(data, form) { form.querySelector("[data-pending-text]").hidden = true; },
    },
    "resend-link": {},
    invitation: {},
    // A gestionnaire's review: the request's page shows its documents as the demandes service learns
    // them from the documents service's events, a moment later; « vu » asks the page for this review.
    review: {
      success(data, form) {
        const next = new URL(form.dataset.next, location.href);
        if (data.id && data.review && data.review.reviewed_at) {
          next.searchParams.set("vu", `${data.id}~${data.review.reviewed_at}`);
        }
        go(next.pathname + next.search + next.hash, form.dataset.done);
        return false;
      },
    },
    // A request's step 1: the « Récapitulatif » block shows what the service stored.
    recap: {
      success(data) { if (data.recap) renderRecap(data.recap); },
    },
    // « Commencer la demande »: the new draft's step 1.
    created: {
      success(data) { location.assign(`/demandes/${data.id}/etape/1`); return false; },
    },
    // A thread reply refused for personal data (MS-5): the warning stays next to the reply box.
    reply: {},
  };

  // --- the live « Récapitulatif » of a request (DM-2) --------------------------------------------
  const NOT_ENTERED = "Non renseigné";

  function renderRecap(sections) {
    const block = document.querySelector("[data-recap-sections]");
    if (!block) return;
    const parts = sections.map((section) => {
      const part = document.createElement("section");
      if (section.label) {
        const title = document.createElement("h3");
        title.textContent = section.label;
        part.append(title);
      }
      const list = document.createElement("dl");
      for (const line of section.lines) {
        const term = document.createElement("dt");
        term.textContent = line.label;
        const value = document.createElement("dd");
        value.dataset.recapLine = line.name;
        value.textContent = line.value;
        list.append(term, value);
      }
      part.append(list);
      return part;
    });
    block.replaceChildren(...parts);
  }

  function shownValue(form, name) {
    const control = form.elements[name];
    if (!control) return "";
    if (control instanceof RadioNodeList) {
      const checked = [...control].find((radio) => radio.checked);
      return checked ? (document.querySelector(`label[for="${checked.id}"]`) || {}).textContent || checked.value : "";
    }
    if (control.disabled) return "";
    if (control.tagName === "SELECT") return control.value ? control.selectedOptions[0].textContent : "";
    if (control.type === "date" && /^\d{4}-\d{2}-\d{2}$/.test(control.value)) {
      const [year, month, day] = control.value.split("-");
      return `${day}/${month}/${year}`;
    }
    return control.value.trim();
  }

  function setupLiveRecap(form) {
    let timer = null;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (const line of document.querySelectorAll("[data-recap-line]")) {
          if (form.elements[line.dataset.recapLine]) line.textContent = shownValue(form, line.dataset.recapLine) || NOT_ENTERED;
        }
      }, 300);
    };
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    // Values proposed by the page (e.g. the name from the profile) show before the first save.
    for (const line of document.querySelectorAll("[data-recap-line]")) {
      const shown = form.elements[line.dataset.recapLine] ? shownValue(form, line.dataset.recapLine) : "";
      if (shown && line.textContent === NOT_ENTERED) line.textContent = shown;
    }
  }

  // --- fields shown only when another field has a value (required_when) -------------------------
  function setupConditional(wrapper) {
    const form = wrapper.closest("form");
    const name = wrapper.dataset.whenField;
    const expected = String(JSON.parse(wrapper.dataset.whenEquals));
    const update = () => {
      const control = form.elements[name];
      const shown = Boolean(control) && String(control.value) === expected;
      wrapper.hidden = !shown;
      for (const input of wrapper.querySelectorAll("input, select, textarea")) input.disabled = !shown;
    };
    form.addEventListener("change", update);
    update();
  }

  // --- « Forme juridique »: suggestions after 3 letters (DM-3) -----------------------------------
  function setupLegalForms(input) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = input.value.trim();
        if (query.length < 3) { list.replaceChildren(); return; }
        const reply = await api("GET", "/api/legal-forms?q=" + encodeURIComponent(query));
        if (!reply.ok || !Array.isArray(reply.data)) return;
        list.replaceChildren(...reply.data.map((form) => { const option = new Option(form.label, form.code); option.label = form.label; return option; }));
      }, 250);
    });
  }

  // --- « Réaffecter »: choose a person among the candidates (DM-8) ------------------------------
  function setupReassign(button) {
    button.addEventListener("click", async () => {
      const dialog = document.getElementById("popin-reaffecter");
      const form = dialog.querySelector("form");
      const select = form.querySelector("select");
      clearErrors(form);
      form.dataset.api = `/api/demandes/${button.dataset.reassign}/reassign`;
      dialog.querySelector("[data-reassign-number]").textContent = button.dataset.number;
      select.replaceChildren(new Option("Chargement…", ""));
      dialog.showModal();
      const reply = await api("GET", `/api/demandes/${button.dataset.reassign}/reassign-candidates`);
      if (!reply.ok) { showErrors(form, reply.data.error || {message: GENERIC}); select.replaceChildren(); return; }
      const options = reply.data.map((c) => new Option(`${c.first_name} ${c.last_name} (${c.profile === "ADMINISTRATEUR" ? "Administrateur" : "Utilisateur"})`, c.person_id));
      select.replaceChildren(new Option(options.length ? "Sélectionnez une personne" : "Aucune autre personne du compte ne peut reprendre cette demande", ""), ...options);
      select.focus();
    });
  }

  // --- captcha ---------------------------------------------------------------------------------
  async function refreshCaptcha(scope) {
    const image = scope.querySelector("[data-captcha-image]");
    if (!image) return;
    const reply = await api("POST", "/api/captcha");
    if (!reply.ok) return;
    image.src = reply.data.image;
    scope.querySelector("[data-captcha-id]").value = reply.data.captcha_id;
    scope.querySelector("[data-captcha-answer]").value = "";
  }

  // --- postal codes and communes (autocomplete from /api/communes) ------------------------------
  function setupCommunes(input) {
    const codes = document.getElementById(input.getAttribute("list"));
    const communes = document.getElementById(input.dataset.communeList);
    const commune = input.form.elements[input.dataset.communes];
    let timer = null;
    let last = "";
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = input.value.trim();
        if (query.length < 2 || query === last) return;
        last = query;
        const reply = await api("GET", "/api/communes?q=" + encodeURIComponent(query));
        if (!reply.ok || !Array.isArray(reply.data)) return;
        codes.replaceChildren(...[...new Set(reply.data.map((c) => c.postal_code))].map((code) => new Option(code, code)));
        const exact = reply.data.filter((c) => c.postal_code === query);
        communes.replaceChildren(...exact.map((c) => new Option(c.commune, c.commune)));
        if (exact.length === 1 && commune && !commune.value) commune.value = exact[0].commune;
      }, 250);
    });
  }

  // --- documents: drag and drop or « Parcourir », then « Valider » (DO-2) ---------------------
  function setupUpload(zone) {
    const input = zone.querySelector("[data-file]");
    const drop = zone.querySelector("[data-drop]");
    const pending = zone.querySelector("[data-pending]");
    let uploaded = null;
    zone.querySelector("[data-browse]").addEventListener("click", () => input.click());
    input.addEventListener("change", () => { if (input.files[0]) send(input.files[0]); input.value = ""; });
    drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("survol"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("survol"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("survol");
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) send(file);
    });

    async function send(file) {
      clearErrors(zone);
      pending.hidden = true;
      const data = new FormData();
      const page = zone.querySelector("[data-upload-page]");
      const date = zone.querySelector("[data-upload-date]");
      if (!zone.dataset.replace) {
        data.append("owner_service", zone.dataset.ownerService);
        data.append("owner_id", zone.dataset.ownerId);
        data.append("kind", zone.dataset.kind);
      }
      if (page) data.append("page", page.value);
      if (date && date.value) data.append("document_date", date.value);
      data.append("file", file, file.name);
      say(zone.querySelector(".confirmation"), "Envoi de « " + file.name + " » en cours…", false);
      const url = zone.dataset.replace ? `/api/documents/${zone.dataset.replace}/replace` : "/api/documents";
      const reply = await api("POST", url, data);
      zone.querySelector(".confirmation").hidden = true;
      if (!reply.ok) { showErrors(zone, reply.data.error || {message: GENERIC}); return; }
      uploaded = reply.data;
      zone.querySelector("[data-pending-name]").textContent =
        `« ${uploaded.file_name} » (${Math.max(1, Math.round(uploaded.size / 1024))} Ko) est prêt : cliquez sur « Valider » pour l'enregistrer définitivement.`;
      pending.hidden = false;
      pending.querySelector("[data-attach]").focus();
    }

    pending.querySelector("[data-attach]").addEventListener("click", async () => {
      if (!uploaded) return;
      clearErrors(zone);
      const reply = await api("POST", `/api/documents/${uploaded.id}/attach`);
      if (!reply.ok) { showErrors(zone, reply.data.error || {message: GENERIC}); return; }
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = reply.data.download_path || `/api/documents/${uploaded.id}/content`;
      link.textContent = reply.data.file_name;
      item.append("✓ ", link, ` (${reply.data.kind_label})`);
      const list = zone.querySelector("[data-upload-list]");
      if (zone.dataset.replace) list.replaceChildren(item); else list.append(item);
      if (zone.dataset.replace) zone.dataset.replace = reply.data.id;
      pending.hidden = true;
      uploaded = null;
      say(zone.querySelector(".confirmation"), `Le document « ${reply.data.file_name} » a bien été enregistré.`, false);
    });
  }

  // --- the header's « Menu » button (narrow screens) ---------------------------------------------
  // Without this script the button stays hidden and the menus open; with it, the button shows
  // under 760 px (the style sheet) and folds them, aria-expanded saying which.
  function setupMenu(button) {
    const panel = document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) return;
    const expand = (open) => button.setAttribute("aria-expanded", open ? "true" : "false");
    expand(false);
    button.hidden = false;
    button.addEventListener("click", () => expand(button.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true" || !button.offsetParent) return;
      if (!panel.contains(document.activeElement) && document.activeElement !== button) return;
      expand(false);
      button.focus();
    });
  }

  // --- start -----------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    const message = sessionStorage.getItem(FLASH);
    if (message) { sessionStorage.removeItem(FLASH); pageMessage(message, false); }

    for (const button of document.querySelectorAll("[data-menu-button]")) setupMenu(button);
    for (const form of document.querySelectorAll("form[data-api]")) {
      form.addEventListener("submit", (event) => { event.preventDefault(); submit(form, event.submitter); });
      if (form.dataset.auto === "true") submit(form, null);
    }
    for (const button of document.querySelectorAll("[data-captcha-refresh]")) {
      button.addEventListener("click", () => refreshCaptcha(button.closest("form")));
    }
    for (const input of document.querySelectorAll("input[data-communes]")) setupCommunes(input);
    for (const zone of document.querySelectorAll("[data-upload]")) setupUpload(zone);
    for (const wrapper of document.querySelectorAll("[data-when-field]")) setupConditional(wrapper);
    for (const input of document.querySelectorAll("input[data-legal-forms]")) setupLegalForms(input);
    for (const form of document.querySelectorAll("form[data-live-recap]")) setupLiveRecap(form);
    for (const button of document.querySelectorAll("[data-reassign]")) setupReassign(button);
    for (const button of document.querySelectorAll("[data-close-dialog]")) {
      button.addEventListener("click", () => button.closest("dialog").close());
    }

    const signup = signupData();
    for (const target of document.querySelectorAll("[data-signup-email]")) target.textContent = signup.email || "";
    for (const target of document.querySelectorAll("[data-signup-email-input]")) target.value = signup.email || "";
    const login = document.querySelector('form[data-hook="login"] input[name="email"]');
    if (login && !login.value && signup.email) login.value = signup.email;
    const progress = document.querySelector("[data-signup-progress]");
    if (progress) {
      api("POST", "/api/signup/progress", {signup_token: signup.token || ""}).then((reply) => {
        if (!reply.ok) {
          pageMessage(((reply.data.error || {}).message || GENERIC) + " Recommencez la création de votre compte depuis le début.", true);
          return;
        }
        for (const target of progress.querySelectorAll("[data-progress]")) {
          const value = reply.data[target.dataset.progress] || "";
          if ("value" in target) target.value = value; else target.textContent = value;
        }
      });
    }
    const retry = document.querySelector("[data-retry]");
    if (retry) setTimeout(() => location.reload(), 2000);
  });
})();
