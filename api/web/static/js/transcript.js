// The transcript beside the player: the line being said is marked and kept in view; clicking a
// line seeks there (without JavaScript each line is a ?t= link that reloads at that time).
export function followTranscript(section, media, seekTo) {
  if (!section) return;
  const lines = [...section.querySelectorAll("a[data-start]")].map((link) => ({
    link, start: parseFloat(link.dataset.start), end: parseFloat(link.dataset.end),
  }));
  let current = null;
  section.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-start]");
    if (!link) return;
    event.preventDefault();
    seekTo(parseFloat(link.dataset.start));
  });
  media.addEventListener("timeupdate", () => {
    const t = media.currentTime;
    let found = null;
    for (const line of lines) {
      if (line.start <= t + 0.05) found = line; else break;
    }
    if (found === current) return;
    current?.link.removeAttribute("aria-current");
    current = found;
    if (!found) return;
    found.link.setAttribute("aria-current", "true");
    const list = section.querySelector("ol");
    const top = found.link.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - 40) {
      list.scrollTo({ top: Math.max(top - 40, 0), behavior: "smooth" });
    }
  });
}
