// The community's feed and a post's page: posting (with a photo or a sermon), reactions, edits,
// "answered", deletes and reports through the JSON API, and what other members do arriving
// live over the `community` event stream. Every post and thread shown is rendered by the server
// for this member (/community/{id}/card), so an anonymous prayer request's author, hidden by
// the API, never reaches this page at all.
import { api, events } from "./api.js";
import { fetchPage, say, swap } from "./fragments.js";
import { report, setupThreads } from "./threads.js";

const MAX_PHOTO = 6 * 1024 * 1024; // the API's limit on a decoded photo

const root = document.querySelector("[data-community]");
const onPostPage = root?.dataset.community === "post";
const feed = root?.querySelector(".feed");
const feedStatus = root?.querySelector(".feed-status");
const counted = new Set(); // comment ids already in a feed card's count

const cardOf = (postId) => document.getElementById(`post-${postId}`);
const cardUrl = (postId) => `/community/${postId}/card${onPostPage ? "?comments=true" : ""}`;

async function cardFromServer(postId) {
  return (await fetchPage(cardUrl(postId))).querySelector("article.post");
}

async function addCard(postId) {
  if (!feed || cardOf(postId)) return;
  const card = await cardFromServer(postId);
  if (!card || cardOf(postId)) return;
  feed.querySelector(".empty")?.remove();
  feed.prepend(document.importNode(card, true));
}

async function refreshCard(postId) {
  const card = cardOf(postId);
  if (!card || card.contains(document.activeElement)) return; // never under someone's typing
  await swap(card, cardUrl(postId), "article.post");
}

function removeCard(postId) {
  const card = cardOf(postId);
  if (!card) return;
  card.remove();
  say(feedStatus, onPostPage ? "This post has been removed." : "A post was removed.");
}

function showCounts(card, reactions, mine) {
  for (const button of card.querySelectorAll("[data-react]")) {
    const kind = button.dataset.react;
    button.querySelector(".count").textContent = String(reactions[kind] || 0);
    if (mine) button.setAttribute("aria-pressed", String(mine.includes(kind)));
  }
}

function countComment(postId, commentId, change) {
  const count = cardOf(postId)?.querySelector(".comment-count");
  if (!count || (commentId && counted.has(commentId))) return;
  if (commentId) counted.add(commentId);
  count.textContent = String(Math.max(0, Number(count.textContent) + change));
}

async function photoBase64(file) {
  if (file.size > MAX_PHOTO) throw new Error("the photo is larger than 6 MB; choose a smaller one");
  const url = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  return url.slice(url.indexOf(",") + 1);
}

// A sermon's address from the library (…/library/{id}), or its id as it is.
function sermonId(text) {
  const value = text.trim();
  if (!value) return null;
  const match = value.match(/\/(?:library|embed)\/([^/?#]+)/);
  return match ? decodeURIComponent(match[1]) : value;
}

function setupPostForm() {
  const form = root.querySelector(".post-form");
  if (!form) return;
  const status = form.querySelector(".form-status");
  const anonymous = form.elements.anonymous;
  const kindChanged = () => {
    const prayer = form.elements.kind.value === "prayer_request";
    anonymous.disabled = !prayer;
    if (!prayer) anonymous.checked = false;
  };
  form.addEventListener("change", kindChanged);
  kindChanged();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(status, "Posting…");
    try {
      const body = { text: form.elements.text.value, kind: form.elements.kind.value };
      if (anonymous.checked) body.anonymous = true;
      const content = sermonId(form.elements.sermon.value);
      if (content) body.content_id = content;
      const photo = form.elements.image.files[0];
      if (photo) body.image = await photoBase64(photo);
      const post = await api("POST", "/posts", body);
      form.reset();
      kindChanged();
      if (post.status === "held") {
        say(status, "Thank you: a moderator will read your post before it shows.");
      } else {
        await addCard(post.id);
        say(status, "Posted.");
      }
    } catch (error) {
      say(status, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

function setupCards() {
  root.addEventListener("click", async (event) => {
    const card = event.target.closest("article.post");
    if (!card) return;
    const postId = card.dataset.postId;
    const status = card.querySelector(".post-status");
    const reaction = event.target.closest("[data-react]");
    const answered = event.target.closest("[data-answered]");
    const remove = event.target.closest("[data-delete-post]");
    try {
      if (reaction) {
        const kind = reaction.dataset.react;
        const on = reaction.getAttribute("aria-pressed") !== "true";
        const answer = on
          ? await api("POST", `/posts/${postId}/reactions`, { kind })
          : await api("DELETE", `/posts/${postId}/reactions/${kind}`);
        showCounts(card, answer.reactions, answer.my_reactions);
      } else if (answered) {
        await api("PATCH", `/posts/${postId}`, { answered: answered.dataset.answered === "true" });
        await swap(card, cardUrl(postId), "article.post");
        cardOf(postId)?.querySelector("[data-answered]")?.focus();
      } else if (remove) {
        if (!window.confirm("Delete this post and its comments?")) return;
        await api("DELETE", `/posts/${postId}`);
        removeCard(postId);
      }
    } catch (error) {
      say(status, error.message);
    }
  });

  root.addEventListener("submit", async (event) => {
    const form = event.target;
    const card = form.closest("article.post");
    // A comment's report is the thread's (threads.js); this is the post's own.
    if (!card || !form.matches(".edit-form, .report-form:not([data-comment-id])")) return;
    event.preventDefault();
    const postId = card.dataset.postId;
    const status = card.querySelector(".post-status");
    try {
      if (form.matches(".edit-form")) {
        await api("PATCH", `/posts/${postId}`, { text: form.elements.text.value });
        const fresh = await swap(card, cardUrl(postId), "article.post");
        say(fresh?.querySelector(".post-status"), "Your changes are saved.");
      } else {
        await report(form, postId);
        say(status, "Thank you: the moderators will look at it.");
      }
    } catch (error) {
      say(status, error.message);
    }
  });

  setupThreads(root, {
    refresh: async (thread, comment) => {
      const card = thread.closest("article.post");
      if (!onPostPage) {
        countComment(card.dataset.postId, comment.id, comment.status === "visible" ? 1 : 0);
        return thread;
      }
      const fresh = (await cardFromServer(card.dataset.postId))?.querySelector(".thread");
      if (!fresh) return thread;
      const adopted = document.importNode(fresh, true);
      thread.replaceWith(adopted);
      adopted.querySelector(":scope > .comment-form textarea")?.focus();
      return adopted;
    },
  });
}

async function commentArrived(comment) {
  if (!comment.post_id) return; // a sermon's comment
  if (!onPostPage) {
    countComment(comment.post_id, comment.id, 1);
    return;
  }
  const card = cardOf(comment.post_id);
  const list = card?.querySelector(".thread > ol.comments");
  if (!list || list.querySelector(`[data-comment-id="${comment.id}"]`)) return;
  if (list.contains(document.activeElement) || list.querySelector("details[open] textarea:not(:placeholder-shown)")) return;
  const fresh = (await cardFromServer(comment.post_id))?.querySelector(".thread > ol.comments");
  if (fresh) list.replaceWith(document.importNode(fresh, true));
}

function listen() {
  if (!document.querySelector('meta[name="cnt-token"]')) return;
  events("/community/events", (type, event) => {
    const handle = {
      post_created: () => (root.hasAttribute("data-newest") ? addCard(event.post.id) : null),
      post_changed: () => refreshCard(event.post.id),
      post_removed: () => removeCard(event.post_id),
      comment_created: () => commentArrived(event.comment),
      comment_removed: () => {
        const item = document.querySelector(`li[data-comment-id="${event.comment_id}"]`);
        if (item) item.remove();
        else if (!onPostPage && event.post_id) countComment(event.post_id, null, -1);
      },
      reactions: () => {
        const card = cardOf(event.post_id);
        if (card) showCounts(card, event.reactions, null);
      },
    }[type];
    handle?.()?.catch?.((error) => say(feedStatus, error.message));
  });
}

if (root) {
  setupPostForm();
  setupCards();
  listen();
}
