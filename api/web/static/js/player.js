// The player page and the embed: the stream, a start time, captions, the transcript that follows
// playback, the waveform (audio) and storyboard previews (video). Each part is optional.
import { attachStream } from "./media.js";
import { offerAudioLanguages } from "./audio-languages.js";
import { followTranscript } from "./transcript.js";
import { setupCaptions } from "./captions.js";

const root = document.querySelector("[data-player]");
const media = root.querySelector("#media");
const data = root.dataset;
const status = root.querySelector(".status");
let start = parseFloat(data.start) || 0;

function seek(seconds) {
  if (media.readyState >= 1) media.currentTime = seconds;
  else start = seconds;
}

let unstarted = true; // the start time applies to the stream's first metadata, once
media.addEventListener("loadedmetadata", () => {
  if (!attached || !unstarted) return;
  unstarted = false;
  if (start > 0) media.currentTime = start;
});
media.addEventListener("error", () => { status.textContent = "This recording could not be played."; });

// The stream (and hls.js, the page's largest script) is fetched when the listener first presses
// play: until then the page costs a phone a few kilobytes and no script work. The MP3 as the
// element's source until then keeps the browser's own controls live (nothing is fetched:
// preload is none); on that first press the stream replaces it and plays.
let attached = null;
if (data.mp3 && !media.src) media.src = data.mp3;
media.addEventListener("play", () => {
  if (attached) return;
  start = media.currentTime || start;
  // The MP3 only made the controls live: stop it before it loads, so the stream is what plays.
  media.removeAttribute("src");
  media.load();
  attached = attachStream(media, { hls: data.hls, mp3: data.mp3, hlsScript: data.hlsScript })
    .then((player) => {
      offerAudioLanguages(root, player);
      return media.play().catch(() => {});
    })
    .catch(() => { status.textContent = "The player could not start."; });
});

setupCaptions(root, media);
followTranscript(document.querySelector(".transcript"), media, (t) => { seek(t); media.play(); });

const shareButton = document.querySelector(".share-now");
const shareField = document.querySelector("#share-url");
if (shareButton && shareField) {
  shareButton.hidden = false;
  shareButton.addEventListener("click", () => {
    const t = Math.floor(media.currentTime);
    shareField.value = t ? `${shareField.dataset.base}?t=${t}` : shareField.dataset.base;
    shareField.select();
    navigator.clipboard?.writeText(shareField.value).catch(() => {});
  });
}

if (data.waveform && root.querySelector("#waveform")) {
  import("./waveform.js").then(({ drawWaveform }) => drawWaveform(root.querySelector("#waveform"), media, data.waveform));
}
const chat = document.querySelector(".chat-replay");
if (chat) import("./chat-replay.js").then(({ replayChat }) => replayChat(chat, media, (t) => { seek(t); media.play(); }));
if (data.storyboard && root.querySelector(".scrub")) {
  import("./storyboard.js").then(({ setupStoryboard }) => setupStoryboard(root.querySelector(".scrub"), media, data.storyboard));
}
