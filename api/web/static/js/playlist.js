// One playlist: its items play in order in the page's player (each next one when the last
// ends, or the one the listener picks), and its owner renames it, changes who sees it, moves
// items up and down and takes them out, each through the JSON API. Without JavaScript the page
// is the list of items, each a link to its own player page.
import { api } from "./api.js";
import { attachStream } from "./media.js";
import { keepProgress } from "./progress.js";

const root = document.querySelector("[data-playlist]");
const id = root.dataset.playlist;
const list = root.querySelector("ol.queue");
const status = root.querySelector(".playlist-status");
const queue = root.querySelector("[data-queue-player]");

if (queue) setupQueue(queue);
if (root.querySelector("[data-playlist-settings]")) setupOwner();

function setupQueue(section) {
  const player = section.querySelector("[data-player]");
  const media = player.querySelector("#media");
  const first = section.dataset.current;
  let current = first;
  let stream = null; // hls.js, when it plays the current item
  let attached = false;

  // Saved before the queue moves on at the end (listeners run in the order they were added).
  const saveNow = document.querySelector('meta[name="cnt-token"]')
    ? keepProgress(media, () => current)
    : async () => {};

  function mark() {
    for (const item of list.children) {
      if (item.dataset.contentId === current) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    }
    section.querySelector(".now-title").textContent =
      list.querySelector(`[data-content-id="${current}"]`)?.dataset.title || "";
  }

  async function sources(contentId) {
    if (contentId === first) return { hls: player.dataset.hls, mp3: player.dataset.mp3 };
    const playback = await api("GET", `/content/${contentId}/playback`);
    return { hls: playback.hls || "", mp3: playback.mp3 || "" };
  }

  async function play(contentId) {
    if (attached && !media.ended) saveNow(); // where they left the one they skip (read at once)
    current = contentId;
    mark();
    attached = true;
    stream?.destroy();
    stream = null;
    // The first item's captions and waveform are not the next one's.
    if (contentId !== first) media.querySelectorAll("track").forEach((track) => track.remove());
    media.removeAttribute("src");
    media.load();
    try {
      const urls = await sources(contentId);
      stream = await attachStream(media, { ...urls, hlsScript: player.dataset.hlsScript });
      await media.play().catch(() => {});
    } catch (error) {
      player.querySelector(".status").textContent = `This item could not be played: ${error.message}`;
    }
  }

  function after(contentId) {
    const playable = [...list.querySelectorAll("li[data-playable]")];
    const at = playable.findIndex((item) => item.dataset.contentId === contentId);
    return playable[at + 1]?.dataset.contentId;
  }

  // As on a sermon's page: the MP3 makes the browser's own controls live (nothing is fetched,
  // preload is none) until the first press, when the stream takes its place.
  if (player.dataset.mp3) media.src = player.dataset.mp3;
  media.addEventListener("play", () => { if (!attached) play(current); });
  media.addEventListener("ended", () => {
    const next = after(current);
    if (next) play(next);
    else status.textContent = "That was the end of the playlist.";
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest(".play-item");
    if (button) play(button.closest("li").dataset.contentId);
  });
  for (const button of list.querySelectorAll(".play-item")) button.hidden = false;
  mark();
}

function setupOwner() {
  const form = root.querySelector("[data-playlist-settings]");
  form.hidden = false;
  for (const tools of list?.querySelectorAll(".item-tools") || []) tools.hidden = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const changed = await api("PATCH", `/playlists/${id}`, {
        title: form.elements.title.value.trim(), visibility: form.elements.visibility.value,
      });
      root.querySelector(".playlist-title").textContent = changed.title;
      document.title = document.title.replace(/^.*? · /, `${changed.title} · `);
      root.querySelector(".playlist-visibility").textContent =
        form.elements.visibility.selectedOptions[0].textContent;
      status.textContent = "Saved.";
    } catch (error) {
      status.textContent = error.message;
    }
  });

  list?.addEventListener("click", async (event) => {
    const button = event.target.closest(".item-tools button");
    if (!button) return;
    const item = button.closest("li");
    if (button.classList.contains("remove")) await remove(item);
    else await move(item, button, button.classList.contains("move-up") ? -1 : 1);
  });
}

function numberItems() {
  [...list.children].forEach((item, index) => {
    item.querySelector(".position").textContent = String(index + 1);
  });
}

async function move(item, button, step) {
  const items = [...list.children];
  const from = items.indexOf(item);
  const to = from + step;
  const title = item.dataset.title;
  if (to < 0 || to >= items.length) {
    status.textContent = `“${title}” is already ${step < 0 ? "first" : "last"}.`;
    return;
  }
  list.insertBefore(item, step < 0 ? items[to] : items[to].nextSibling);
  button.focus(); // moving the item took the focus off its button
  numberItems();
  try {
    await api("PUT", `/playlists/${id}/items`, {
      content_ids: [...list.children].map((li) => li.dataset.contentId),
    });
    status.textContent = `Moved “${title}” to ${to + 1} of ${items.length}.`;
  } catch (error) {
    const now = [...list.children]; // undo: the displaced item is where this one was
    list.insertBefore(item, step < 0 ? now[from].nextSibling : now[from]);
    numberItems();
    status.textContent = error.message;
  }
}

async function remove(item) {
  const title = item.dataset.title;
  try {
    await api("DELETE", `/playlists/${id}/items/${item.dataset.contentId}`);
  } catch (error) {
    status.textContent = error.message;
    return;
  }
  const next = item.nextElementSibling || item.previousElementSibling;
  item.remove();
  numberItems();
  status.textContent = `Took “${title}” out of the playlist.`;
  (next?.querySelector(".remove") || root.querySelector("#items-h")).focus();
}
