// "More" under a long list (the playlists page, the moderation queue and audit log): the link
// works without this script (the server's page that continues the list from its cursor); with
// it, the next items join the list in place, the first of them takes the focus (a screen reader
// reads on from there) and the link moves on to the page after, or goes when there is none.
import { fetchPage } from "./fragments.js";

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-more]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const list = document.querySelector(link.dataset.more);
  if (!list) return;
  event.preventDefault();
  if (link.getAttribute("aria-disabled") === "true") return; // already on its way
  link.setAttribute("aria-disabled", "true");
  try {
    const next = await fetchPage(link.getAttribute("href"));
    const items = [...(next.querySelector(link.dataset.more)?.children || [])];
    const added = items.map((item) => list.appendChild(document.importNode(item, true)));
    const further = next.querySelector(`a[data-more="${link.dataset.more}"]`);
    if (further) {
      link.setAttribute("href", further.getAttribute("href"));
      link.removeAttribute("aria-disabled");
    } else {
      link.closest(".more")?.remove();
    }
    if (added.length) {
      added[0].tabIndex = -1;
      added[0].focus();
    }
  } catch {
    window.location.assign(link.href); // the server's page, as without the script
  }
});
