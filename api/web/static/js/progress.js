// Where a signed-in member is in what they play: saved (PUT /api/v1/me/progress/{id}) every few
// seconds while it plays, on pause and at the end, and only when it moved, so every device they
// use resumes there (the page starts from the saved second: api/web/my_listening.py). The API
// writes the row only when it moves too; this keeps the requests down as well.
import { api } from "./api.js";

const EVERY_MS = 5000;

// Returns a function that saves the position now.
export function keepProgress(media, currentId) {
  let saved = { id: null, at: -1 };
  let sentAt = 0;

  async function save(finished) {
    const id = currentId();
    const at = Math.round(media.currentTime * 10) / 10;
    // 0 is a stream being swapped in (the page's player reloads its source on the first play):
    // saving it would lose where the member really was.
    if (!id || (!(at > 0) && !finished)) return;
    if (!finished && saved.id === id && Math.abs(at - saved.at) < 1) return;
    saved = { id, at };
    sentAt = Date.now();
    try {
      await api("PUT", `/me/progress/${id}`, { position: at, finished });
    } catch {
      saved = { id: null, at: -1 }; // try again on the next tick
    }
  }

  media.addEventListener("timeupdate", () => {
    if (!media.paused && !media.seeking && Date.now() - sentAt >= EVERY_MS) save(false);
  });
  media.addEventListener("pause", () => { if (!media.ended) save(false); });
  media.addEventListener("ended", () => save(true));
  return () => save(false); // saves now: before a page switches what plays
}
