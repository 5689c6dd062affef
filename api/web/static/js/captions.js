// Captions on and off, and their language. Video shows them itself; for audio the current cue
// is written under the waveform.
export function setupCaptions(root, media) {
  const button = root.querySelector("button.captions");
  if (!button || !media.textTracks.length) return;
  const line = root.querySelector(".caption-line");
  const picker = root.querySelector(".caption-language");
  const isVideo = media.tagName === "VIDEO";
  let chosen = 0;
  let on = false;

  function render() {
    [...media.textTracks].forEach((track, i) => {
      track.mode = on && i === chosen ? (isVideo ? "showing" : "hidden") : "disabled";
    });
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Captions on" : "Captions off";
    if (line) line.hidden = !on;
  }
  [...media.textTracks].forEach((track, i) => {
    track.addEventListener("cuechange", () => {
      if (!line || i !== chosen) return;
      line.textContent = [...(track.activeCues || [])].map((cue) => cue.text).join(" ");
    });
  });
  button.hidden = false;
  button.addEventListener("click", () => { on = !on; render(); });
  if (picker) {
    picker.closest("label").hidden = false;
    picker.addEventListener("change", () => { chosen = Number(picker.value); render(); });
  }
  render();
}
