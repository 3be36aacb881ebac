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

// Removing asks first; a cancelled confirmation stops the double-submit guard from seeing the submit.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, { capture: true });
  });
});

// --- Quiz attempts ------------------------------------------------------------------
// Every change is saved at once (PUT of the changed slots as JSON); a failed save is kept
// and retried when the connection comes back. The countdown starts from the seconds the
// server sent, never from this computer's clock, and submits the attempt at zero.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.js-quiz-attempt");
  if (!form) return;
  const status = document.querySelector(".js-quiz-status");
  const countdown = document.querySelector(".js-quiz-countdown");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const pending = new Map();
  let saving = false;
  let retryTimer = null;
  let typingTimer = null;
  let endsAt = null;

  const show = (text) => { status.textContent = text; };

  function valueOf(fieldset) {
    const kind = fieldset.dataset.kind;
    if (kind === "single" || kind === "truefalse") {
      const checked = fieldset.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    if (kind === "several") {
      return Array.from(fieldset.querySelectorAll("input:checked"), (input) => input.value);
    }
    if (kind === "matching") {
      const chosen = {};
      fieldset.querySelectorAll("select[data-pair]").forEach((select) => { chosen[select.dataset.pair] = select.value; });
      return chosen;
    }
    const field = fieldset.querySelector("input, textarea");
    return field ? field.value : null;
  }

  function remember(target) {
    const fieldset = target.closest("fieldset[data-slot]");
    if (fieldset) pending.set(fieldset.dataset.slot, valueOf(fieldset));
  }

  function retryLater() {
    show(status.dataset.failed);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(save, 5000);
  }

  async function save() {
    if (saving || pending.size === 0) return;
    saving = true;
    clearTimeout(retryTimer);
    const answers = Object.fromEntries(pending);
    pending.clear();
    show(status.dataset.saving);
    let response = null;
    try {
      response = await fetch(form.dataset.saveUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ answers }),
      });
    } catch (error) {
      response = null;
    }
    saving = false;
    if (response && response.ok) {
      const data = await response.json();
      if (typeof data.remaining === "number") startCountdown(data.remaining);
      if (pending.size) save(); else show(status.dataset.saved);
      return;
    }
    if (response && response.status === 409) {
      window.location.reload(); // time is up or the attempt is closed: the page says what to do now
      return;
    }
    if (response && response.status < 500) {
      const data = await response.json().catch(() => ({}));
      show(data.error || status.dataset.failed);
      return;
    }
    Object.entries(answers).forEach(([slot, value]) => { if (!pending.has(slot)) pending.set(slot, value); });
    retryLater();
  }

  form.addEventListener("change", (event) => { remember(event.target); save(); });
  form.addEventListener("input", (event) => {
    if (!event.target.matches("input[type=text], textarea")) return;
    remember(event.target);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(save, 800);
  });
  window.addEventListener("online", save);

  function clock(seconds) {
    const minutes = Math.floor(seconds / 60);
    return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function tick() {
    const left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
    countdown.textContent = clock(left);
    if (left === 0) {
      form.submit(); // no submit event: the double-submit guard and confirmations stay out of it
      return;
    }
    setTimeout(tick, 1000 - ((endsAt - performance.now()) % 1000));
  }

  function startCountdown(seconds) {
    if (!countdown) return;
    const running = endsAt !== null;
    endsAt = performance.now() + seconds * 1000;
    if (!running) tick();
  }

  if (countdown) startCountdown(Number(countdown.dataset.remaining));
});
