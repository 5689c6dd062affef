// Attaches a stream to a media element: hls.js where Media Source Extensions exist (it plays our
// alternate-audio masters everywhere alike), the browser's own HLS otherwise (iOS Safari), the
// MP3 when there is no HLS. hls.js is loaded only when a page plays something.

export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

export async function attachStream(media, { hls, mp3, hlsScript }) {
  if (hls && window.MediaSource) {
    if (!window.Hls) await loadScript(hlsScript);
    if (window.Hls.isSupported()) {
      const player = new window.Hls({ capLevelToPlayerSize: true, startFragPrefetch: true });
      player.loadSource(hls);
      player.attachMedia(media);
      return player;
    }
  }
  if (hls && media.canPlayType("application/vnd.apple.mpegurl")) {
    media.src = hls;
  } else if (mp3) {
    media.src = mp3;
  }
  return null;
}

export function clock(seconds) {
  const total = Math.floor(seconds || 0);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(s).padStart(2, "0")}`;
}
