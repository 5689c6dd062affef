// Conversations under a post or a sermon (`.thread[data-api]`): comment, reply, delete and
// report through the JSON API. After a change the caller's `refresh(thread)` reads the thread
// again from the server, so a new comment looks exactly as it will after a reload.
import { api } from "./api.js";
import { say } from "./fragments.js";

function statusOf(element) {
  return element.closest(".thread")?.querySelector(":scope > .form-status");
}

export function setupThreads(root, { refresh }) {
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches(".thread .comment-form")) return;
    event.preventDefault();
    const thread = form.closest(".thread");
    const button = form.querySelector("button");
    const body = { text: form.elements.text.value };
    if (form.dataset.parent) body.parent_id = form.dataset.parent;
    button.disabled = true;
    try {
      const comment = await api("POST", `${thread.dataset.api}/comments`, body);
      form.reset();
      const fresh = await refresh(thread, comment);
      say(statusOf(fresh || thread), comment.status === "held"
        ? "Thank you: a moderator will read your comment before it shows."
        : "Your comment is posted.");
    } catch (error) {
      say(statusOf(thread), error.message);
    } finally {
      button.disabled = false;
    }
  });

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-delete-comment]");
    if (!button) return;
    const thread = button.closest(".thread");
    try {
      await api("DELETE", `${thread.dataset.api}/comments/${button.dataset.deleteComment}`);
      button.closest("li[data-comment-id]")?.remove();
      say(statusOf(thread), "The comment is deleted.");
    } catch (error) {
      say(statusOf(thread), error.message);
    }
  });
}

// A report of a post (`postId`) or of one of its comments (the form's data-comment-id).
export async function report(form, postId) {
  const body = { reason: form.elements.reason.value };
  if (form.dataset.commentId) body.comment_id = form.dataset.commentId;
  await api("POST", `/posts/${postId}/reports`, body);
  form.reset();
  form.closest("details")?.removeAttribute("open");
}
