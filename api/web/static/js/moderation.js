// The moderators' buttons: each calls the moderation API (which checks, applies and logs the
// action), then the queue, word list and audit log are read again from the server.
import { api } from "./api.js";
import { say, swap } from "./fragments.js";

const status = document.querySelector(".moderation-status");

async function reload(message) {
  const queue = document.querySelector(".moderation");
  // The same page of the queue and log as the address shows (its "More" cursor, if any).
  if (queue) await swap(queue, window.location.pathname + window.location.search, ".moderation");
  say(status, message);
  status?.focus?.();
}

async function act(item, action) {
  const reason = item.querySelector('.mod-actions input[name="reason"]')?.value || "";
  const type = item.dataset.targetType;
  const id = item.dataset.targetId;
  if (action === "dismiss") {
    await api("POST", `/moderation/reports/${item.dataset.report}/dismiss`, { reason });
    return "The report is dismissed.";
  }
  const path = type === "post" ? `/moderation/posts/${id}` : `/moderation/comments/${id}`;
  await api("POST", path, { action, reason });
  const done = { hide: "hidden", remove: "removed", approve: "approved", restore: "restored" };
  return `The ${type} is ${done[action]}.`;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action], [data-remove-word]");
  if (!button) return;
  button.disabled = true;
  try {
    if (button.dataset.removeWord !== undefined) {
      await api("DELETE", `/moderation/words/${encodeURIComponent(button.dataset.removeWord)}`);
      await reload(`“${button.dataset.removeWord}” is off the list.`);
    } else {
      await reload(await act(button.closest("[data-target-type]"), button.dataset.action));
    }
  } catch (error) {
    button.disabled = false;
    say(status, error.message);
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches(".mute-form, .word-form")) return;
  event.preventDefault();
  try {
    if (form.matches(".word-form")) {
      await api("POST", "/moderation/words", { word: form.elements.word.value });
      await reload(`“${form.elements.word.value.trim()}” is on the list.`);
    } else {
      const minutes = Number(form.elements.minutes.value);
      const label = form.elements.minutes.selectedOptions[0].textContent;
      await api("POST", "/moderation/mutes", {
        user_id: form.dataset.user, minutes, reason: form.elements.reason.value,
      });
      await reload(`The member is muted for ${label}.`);
    }
  } catch (error) {
    say(status, error.message);
  }
});
