// Audio in other languages on a video's studio page: the recording is sent to the API's
// PUT /content/{id}/audio-tracks/{language} as it is (streamed, with progress), the list follows
// each track until it is ready or failed, and Remove asks the API to take one out. Every rule
// and message (the language tag, who may, a file that is not media) is the API's own.
import { api, send } from "./api.js";

const root = document.querySelector("[data-content]");
const id = root.dataset.content;
const section = root.querySelector(".audio-tracks");
const list = section.querySelector("ul.tracks");
const form = section.querySelector("form.add-track");
const bar = form.querySelector(".track-progress");
const status = form.querySelector(".track-form-status");
const SETTLED = ["ready", "failed"];

function row(track) {
  const item = document.createElement("li");
  item.dataset.language = track.language;
  item.innerHTML = '<span class="track-name"></span> <span class="track-status"></span> <span class="problem"></span> <button type="button" class="secondary remove-track">Remove</button>';
  item.querySelector(".track-name").textContent = `${track.name} (${track.language})`;
  const state = item.querySelector(".track-status");
  state.textContent = track.status;
  state.className = `track-status status-${track.status}`;
  item.querySelector(".problem").textContent = track.error || "";
  return item;
}

async function refresh() {
  const tracks = await api("GET", `/content/${id}/audio-tracks`);
  list.replaceChildren(...tracks.map(row));
  return tracks;
}

// Until every track has settled (or gone), look again every two seconds.
let following = null;
function follow() {
  if (following) return;
  following = setInterval(async () => {
    const tracks = await refresh().catch(() => null);
    if (tracks && tracks.every((t) => SETTLED.includes(t.status))) {
      clearInterval(following);
      following = null;
    }
  }, 2000);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const language = form.querySelector("#a-language").value.trim();
  const file = form.querySelector("#a-file").files[0];
  const button = form.querySelector("button");
  button.disabled = true;
  status.textContent = "Sending…";
  try {
    await send("PUT", `/api/v1/content/${id}/audio-tracks/${encodeURIComponent(language)}`, file, {
      headers: { "X-Filename": file.name },
      onProgress: (sent) => { bar.value = Math.round((sent / file.size) * 100); },
    });
    status.textContent = "Sent: it is being added to the video";
    form.reset();
    await refresh();
    follow();
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

list.addEventListener("click", async (event) => {
  const button = event.target.closest(".remove-track");
  if (!button) return;
  const language = button.closest("li").dataset.language;
  if (!confirm(`Remove the ${language} audio from this video?`)) return;
  try {
    await api("DELETE", `/content/${id}/audio-tracks/${encodeURIComponent(language)}`);
    await refresh();
    follow();
  } catch (error) {
    status.textContent = error.message;
  }
});

if ([...list.querySelectorAll(".track-status")].some((s) => !SETTLED.includes(s.textContent))) follow();
