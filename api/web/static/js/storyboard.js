// Storyboard previews while scrubbing a video: the frame nearest the slider's time, cut from the
// sprite our storyboard VTT points at (`sprite.jpg#xywh=x,y,w,h`).
import { clock } from "./media.js";

async function loadCues(url) {
  const text = await (await fetch(url)).text();
  const cues = [];
  const toSeconds = (stamp) => stamp.split(":").reduce((acc, part) => acc * 60 + parseFloat(part), 0);
  for (const block of text.split(/\n\n+/)) {
    const match = block.match(/([\d:.]+)\s+-->\s+([\d:.]+)\s*\n(.+)/);
    if (!match) continue;
    const [file, frag] = match[3].trim().split("#xywh=");
    const [x, y, w, h] = (frag || "0,0,0,0").split(",").map(Number);
    cues.push({ start: toSeconds(match[1]), end: toSeconds(match[2]), src: new URL(file, url).href, x, y, w, h });
  }
  return cues;
}

export async function setupStoryboard(scrub, media, url) {
  const cues = await loadCues(url);
  const slider = scrub.querySelector("input");
  const preview = scrub.querySelector(".preview");
  const frame = preview.querySelector(".frame");
  const label = preview.querySelector("span");
  media.addEventListener("timeupdate", () => { if (!scrub.matches(":active")) slider.value = media.currentTime; });
  media.addEventListener("durationchange", () => { slider.max = media.duration; });
  slider.addEventListener("input", () => {
    const t = Number(slider.value);
    const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
    if (cue) {
      Object.assign(frame.style, {
        width: `${cue.w}px`, height: `${cue.h}px`,
        backgroundImage: `url("${cue.src}")`, backgroundPosition: `-${cue.x}px -${cue.y}px`,
      });
    }
    label.textContent = clock(t);
    preview.hidden = false;
  });
  slider.addEventListener("change", () => { media.currentTime = Number(slider.value); preview.hidden = true; });
}
