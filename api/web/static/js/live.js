// A live service: its events over SSE (status, participants), and the stream through
// livekit-client with a token from the API (a listener's, or a visitor's watch-only one).
import { api } from "./api.js";
import { loadScript } from "./media.js";
import { setupChat } from "./live-chat.js";

const root = document.querySelector("[data-live]");
const id = root.dataset.live;
const stage = root.querySelector(".stage");

const events = new EventSource(`/api/v1/live/sessions/${id}/events`);
events.onmessage = (message) => show(JSON.parse(message.data));
for (const type of ["session", "started", "ended", "participants", "recording"]) {
  events.addEventListener(type, (message) => show(JSON.parse(message.data)));
}

setupChat(document.querySelector("[data-chat]"), id, events);

function show(event) {
  const session = event.session || event;
  if (!session.status) return;
  root.querySelector(".live-status").textContent = session.status;
  root.querySelector(".participants").textContent = session.participant_count ?? 0;
  if (session.status === "live") stage.hidden = false;
  if (session.status === "ended" && root.dataset.status !== "ended") location.reload();
}

root.querySelector(".join")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    // Without a sign-in the API hands out a watch-only guest token; a member's page token
    // that expired while the page waited for the service is renewed first (api()).
    const body = await api("POST", `/live/sessions/${id}/token`);
    await loadScript(root.dataset.livekitScript);
    const { Room, RoomEvent } = window.LivekitClient;
    const room = new Room();
    room.on(RoomEvent.TrackSubscribed, (track) => root.querySelector(".tracks").append(track.attach()));
    await room.connect(body.url, body.token, { autoSubscribe: true });
    await room.startAudio();
    button.textContent = "Listening";
  } catch (error) {
    button.disabled = false;
    root.querySelector(".live-status").textContent = error.message;
  }
});
