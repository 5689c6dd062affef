// The player page and the embed: the stream, a start time, captions, the transcript that follows
// playback, the waveform (audio) and storyboard previews (video). Each part is optional.
import { attachStream } from "./media.js";
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

media.addEventListener("loadedmetadata", () => {
  if (start > 0) media.currentTime = start;
}, { once: true });
media.addEventListener("error", () => { status.textContent = "This recording could not be played."; });

// The stream (and hls.js, the page's largest script) is fetched when the listener first presses
// play: until then the page costs a phone a few kilobytes and no script work. The element's
// play() waits for the source and then starts by itself.
let attached = null;
media.addEventListener("play", () => {
  attached ??= attachStream(media, { hls: data.hls, mp3: data.mp3, hlsScript: data.hlsScript })
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
if (data.storyboard && root.querySelector(".scrub")) {
  import("./storyboard.js").then(({ setupStoryboard }) => setupStoryboard(root.querySelector(".scrub"), media, data.storyboard));
}
