// Parts of a page read again from the server after a change: the server renders everything
// (one renderer, the same rules as the first load), the script only puts the new part in place.
export async function fetchPage(url) {
  const answer = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!answer.ok) throw new Error(`the page answered ${answer.status}`);
  return new DOMParser().parseFromString(await answer.text(), "text/html");
}

// Replaces `target` with the element matching `selector` in the page at `url`; the new element,
// or null when the page no longer has it.
export async function swap(target, url, selector) {
  const fresh = (await fetchPage(url)).querySelector(selector);
  if (!fresh) return null;
  const adopted = document.importNode(fresh, true);
  target.replaceWith(adopted);
  return adopted;
}

export function say(region, text) {
  if (region) region.textContent = text;
}
