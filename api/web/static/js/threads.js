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
    if (form.matches(".thread .report-form[data-comment-id]")) {
      event.preventDefault();
      const thread = form.closest(".thread");
      try {
        await reportComment(form, thread);
        say(statusOf(thread), "Thank you: the moderators will look at it.");
      } catch (error) {
        say(statusOf(thread), error.message);
      }
      return;
    }
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

// A report of a post, or of a comment under a post or a sermon (the form's data-comment-id).
export async function report(form, postId) {
  await api("POST", `/posts/${postId}/reports`, { reason: form.elements.reason.value });
  closeReport(form);
}

async function reportComment(form, thread) {
  const reason = form.elements.reason.value;
  const comment = form.dataset.commentId;
  if (thread.dataset.api.startsWith("/posts/")) {
    await api("POST", `${thread.dataset.api}/reports`, { reason, comment_id: comment });
  } else {
    await api("POST", `${thread.dataset.api}/comments/${comment}/reports`, { reason });
  }
  closeReport(form);
}

function closeReport(form) {
  form.reset();
  form.closest("details")?.removeAttribute("open");
}
