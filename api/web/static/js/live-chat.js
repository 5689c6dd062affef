// The service's chat beside the stream: the conversation so far, each new message as it is sent
// (the session's events), a box to write in for signed-in members, and "Remove" for the host and
// moderators. Messages are keyed by id, so one arriving both as our answer and as an event
// shows once.
import { api } from "./api.js";

const HISTORY_PAGES = 5; // 5 × 200 messages: older ones are in the recording's replay

export function setupChat(section, sessionId, events) {
  if (!section) return;
  const list = section.querySelector(".messages");
  const status = section.querySelector(".chat-status");
  const moderates = section.hasAttribute("data-moderates");
  const shown = new Map();

  function add(message) {
    if (message.removed || shown.has(message.id)) return;
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = message.author.name;
    const text = document.createElement("span");
    text.textContent = ` ${message.text}`;
    item.append(name, text);
    if (moderates) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${message.author.name}'s message`);
      remove.addEventListener("click", () => removeMessage(message.id));
      item.append(" ", remove);
    }
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.append(item);
    shown.set(message.id, item);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function drop(id) {
    shown.get(id)?.remove();
    shown.delete(id);
  }

  async function removeMessage(id) {
    try {
      await api("DELETE", `/live/sessions/${sessionId}/chat/${id}`);
      drop(id);
    } catch (error) {
      say(error.message);
    }
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  async function history() {
    let cursor = "";
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      const query = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const body = await api("GET", `/live/sessions/${sessionId}/chat?${query}`);
      body.items.forEach(add);
      if (!body.next_cursor) return;
      cursor = body.next_cursor;
    }
  }

  events.addEventListener("chat_message", (event) => add(JSON.parse(event.data).message));
  events.addEventListener("chat_removed", (event) => drop(JSON.parse(event.data).message_id));
  history().catch((error) => say(error.message));

  const form = section.querySelector(".chat-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.elements.text;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      add(await api("POST", `/live/sessions/${sessionId}/chat`, { text: input.value }));
      input.value = "";
      say("");
    } catch (error) {
      say(error.message); // muted, slow mode, too long: the API says which
    } finally {
      button.disabled = false;
      input.focus();
    }
  });
}
