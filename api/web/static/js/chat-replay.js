// A service's chat beside its recording: each message appears when playback reaches the moment
// it was sent, as it did for those watching live (without JavaScript the whole chat shows, each
// message a ?t= link to its moment).
export function replayChat(section, media, seekTo) {
  const items = [...section.querySelectorAll("li[data-at]")];
  const times = items.map((item) => parseFloat(item.dataset.at));
  const list = section.querySelector("ol");
  let shown = -1;

  function sentBy(t) {
    let low = 0;
    let high = times.length; // the number of messages sent by `t` (times are in order)
    while (low < high) {
      const mid = (low + high) >> 1;
      if (times[mid] <= t) low = mid + 1; else high = mid;
    }
    return low;
  }

  function update() {
    const count = sentBy(media.currentTime);
    if (count === shown) return;
    items.forEach((item, index) => { item.hidden = index >= count; });
    shown = count;
    list.scrollTop = list.scrollHeight;
  }

  section.addEventListener("click", (event) => {
    const link = event.target.closest("a.at");
    if (!link) return;
    event.preventDefault();
    seekTo(parseFloat(link.closest("li").dataset.at));
  });
  for (const type of ["timeupdate", "seeked", "loadedmetadata"]) media.addEventListener(type, update);
  update();
}
