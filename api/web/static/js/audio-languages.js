// The audio languages of a video's stream (its own tracks and any added later, such as an
// interpreter's), offered as a choice once hls.js has read the master; the browser's own HLS
// (iOS Safari) offers them in its own menu instead.
export function offerAudioLanguages(root, player) {
  const label = root.querySelector(".audio-lang");
  if (!player || !label || !window.Hls) return;
  const select = label.querySelector("select");
  const show = () => {
    const tracks = player.audioTracks || [];
    if (tracks.length < 2) return;
    select.replaceChildren(...tracks.map((track, i) => new Option(track.name || track.lang, String(i))));
    select.value = String(player.audioTrack);
    label.hidden = false;
  };
  player.on(window.Hls.Events.AUDIO_TRACKS_UPDATED, show);
  show();
  select.addEventListener("change", () => { player.audioTrack = Number(select.value); });
}
