// A Bible story as it is read: each illustration shows from its time until the next one's, and
// the word being read (or the sentence, when the transcript has no word timings) is highlighted.
// The narration itself plays in the page's player (player.js). Without JavaScript every picture
// and the whole text show.
const media = document.querySelector("#media");
const root = document.querySelector("[data-story]");
const figures = [...root.querySelectorAll(".illustration[data-at]")]
  .map((figure) => ({ figure, at: parseFloat(figure.dataset.at) }))
  .sort((a, b) => a.at - b.at);
const pieces = [...root.querySelectorAll(".story-text [data-start]")]
  .map((element) => ({ element, start: parseFloat(element.dataset.start) }));

// The last of `items` (in time order) that has begun by `t`: a binary search, as a long story
// has thousands of words and this runs every frame while it plays.
function begunBy(items, t, time) {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (time(items[mid]) <= t) low = mid + 1; else high = mid;
  }
  return low - 1;
}

let picture = -2;
let word = -2;
function update() {
  const t = media.currentTime + 0.05;
  const shown = Math.max(begunBy(figures, t, (f) => f.at), 0); // the first until the second's time
  if (shown !== picture && figures.length) {
    figures.forEach((f, index) => { f.figure.hidden = index !== shown; });
    picture = shown;
  }
  const reading = media.currentTime > 0 || !media.paused ? begunBy(pieces, t, (p) => p.start) : -1;
  if (reading !== word) {
    pieces[word]?.element.classList.remove("reading");
    word = reading;
    const now = pieces[word]?.element;
    if (now) {
      now.classList.add("reading");
      const box = now.getBoundingClientRect();
      if (box.top < 0 || box.bottom > innerHeight) now.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }
}

// timeupdate comes about four times a second: too slow for words, so every frame while playing.
let frame = 0;
function tick() {
  update();
  frame = media.paused ? 0 : requestAnimationFrame(tick);
}
media.addEventListener("play", () => { if (!frame) frame = requestAnimationFrame(tick); });
for (const type of ["timeupdate", "seeked", "loadedmetadata"]) media.addEventListener(type, update);
update();

// One big button for small hands (the player's own controls stay for everyone else).
const big = document.querySelector(".big-play");
if (big) {
  big.hidden = false;
  // The first play swaps the MP3 for the stream (player.js), which interrupts this play():
  // the stream then plays by itself.
  big.addEventListener("click", () => { if (media.paused) media.play().catch(() => {}); else media.pause(); });
  const show = () => {
    big.textContent = media.paused ? "Play the story" : "Pause the story";
  };
  media.addEventListener("play", show);
  media.addEventListener("pause", show);
}
