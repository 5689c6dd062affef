// A sermon's comments under its player: a member's comment or reply goes through the content
// comments API, then the thread is read again from this page as the server renders it. What
// others write, edit, or what a moderator hides arrives live over the sermon's own comment
// stream (visitors too: the API sends it to whoever may see the sermon); the list is then read
// again from the server for this reader, never built from the event.
import { events } from "./api.js";
import { fetchPage, say, swap } from "./fragments.js";
import { setupThreads } from "./threads.js";

const section = document.querySelector(".sermon-comments");
const LIST = ".sermon-comments .thread > ol.comments";
// Every open page of the sermon hears an event at the same moment: each reads the list again
// after its own short random wait, so a full church's pages do not ask all at once, and events
// arriving meanwhile are served by that one read.
const SPREAD_MS = 1500;
let stale = false; // something arrived while the reader was writing in the list
let pending = null; // the read already on its way
// Comments taken away since the page loaded: a read that raced the removal must not bring one
// back (a restored comment is announced again, and leaves this set).
const removed = new Set();

const statusOf = () => section.querySelector(".thread > .form-status");
const itemOf = (id) => section.querySelector(`li[data-comment-id="${CSS.escape(id)}"]`);

// Never under someone's typing: a reply box open with words in it, or focus inside the list.
function busy(list) {
  return list.contains(document.activeElement)
    || list.querySelector("details[open] textarea:not(:placeholder-shown)") !== null;
}

function refreshSoon() {
  pending ??= new Promise((resolve) => setTimeout(resolve, Math.random() * SPREAD_MS))
    .then(() => {
      pending = null;
      return refreshList();
    });
  return pending;
}

async function refreshList() {
  const list = section.querySelector(LIST);
  if (!list) return;
  if (busy(list)) {
    stale = true;
    return;
  }
  stale = false;
  const fresh = (await fetchPage(window.location.pathname)).querySelector(LIST);
  if (!fresh || busy(list)) return;
  for (const id of removed) fresh.querySelector(`li[data-comment-id="${CSS.escape(id)}"]`)?.remove();
  list.replaceWith(document.importNode(fresh, true));
}

function listen() {
  // The thread's API path (/content/{id}) names the stream: /content/{id}/comments/events.
  const api = section.querySelector(".thread")?.dataset.api;
  if (!api) return;
  events(`${api}/comments/events`, (type, event) => {
    const handle = {
      comment_created: () => {
        removed.delete(event.comment.id);
        return itemOf(event.comment.id) ? null : refreshSoon();
      },
      comment_changed: () => {
        removed.delete(event.comment.id);
        return refreshSoon();
      },
      comment_removed: () => {
        removed.add(event.comment_id);
        const item = itemOf(event.comment_id);
        if (!item) return;
        item.remove();
        say(statusOf(), "A comment was removed.");
      },
    }[type];
    handle?.()?.catch?.((error) => say(statusOf(), error.message));
  });
  section.addEventListener("focusout", () => {
    // After the focus has moved on (focusout fires before it lands).
    setTimeout(() => {
      if (stale) refreshList().catch((error) => say(statusOf(), error.message));
    }, 0);
  });
}

if (section) {
  setupThreads(section, {
    refresh: async (thread) => {
      const fresh = await swap(thread, window.location.pathname, ".sermon-comments .thread");
      fresh?.querySelector(":scope > .comment-form textarea")?.focus();
      return fresh;
    },
  });
  listen();
}
