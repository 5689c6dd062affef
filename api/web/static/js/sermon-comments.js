// A sermon's comments under its player: a member's comment or reply goes through the content
// comments API, then the thread is read again from this page as the server renders it.
import { swap } from "./fragments.js";
import { setupThreads } from "./threads.js";

const section = document.querySelector(".sermon-comments");
if (section) {
  setupThreads(section, {
    refresh: async (thread) => {
      const fresh = await swap(thread, window.location.pathname, ".sermon-comments .thread");
      fresh?.querySelector(":scope > .comment-form textarea")?.focus();
      return fresh;
    },
  });
}
