// The waveform of an audio sermon, drawn by wavesurfer.js from our peaks JSON (BBC
// audiowaveform v2: interleaved 8-bit min/max pairs), over the same <audio> element.
import WaveSurfer from "../vendor/wavesurfer.esm.js";

export async function drawWaveform(container, media, url) {
  const doc = await (await fetch(url)).json();
  const scale = 2 ** ((doc.bits || 8) - 1);
  const channels = doc.channels || 1;
  const peaks = Array.from({ length: channels }, (_, c) => {
    const out = new Float32Array(doc.length);
    for (let i = 0; i < doc.length; i++) out[i] = doc.data[(i * channels + c) * 2 + 1] / scale;
    return out;
  });
  const style = getComputedStyle(document.documentElement);
  return WaveSurfer.create({
    container, media, peaks, height: 72, barWidth: 2, barGap: 1, barRadius: 1,
    duration: (doc.length * doc.samples_per_pixel) / doc.sample_rate,
    waveColor: "#9aa7b8", progressColor: style.getPropertyValue("--brand").trim() || "#1d4e89",
    cursorColor: "#222",
  });
}
