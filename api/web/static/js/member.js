// A signed-in member on a sermon's page: where they are is saved as it plays, the favourite
// toggle, and "Add to playlist" (one of theirs, or a new one). Each calls the JSON API with the
// page's short-lived token; the API's guards decide.
import { api } from "./api.js";
import { keepProgress } from "./progress.js";

const box = document.querySelector("[data-member]");
const media = document.querySelector("#media");
const id = box.dataset.contentId;
const status = box.querySelector(".member-status");
box.hidden = false;

if (media) keepProgress(media, () => id);

const favourite = box.querySelector(".favourite");
favourite.addEventListener("click", async () => {
  const on = favourite.getAttribute("aria-pressed") !== "true";
  favourite.disabled = true;
  try {
    await api(on ? "PUT" : "DELETE", `/me/favourites/${id}`);
    favourite.setAttribute("aria-pressed", String(on));
    status.textContent = on ? "Added to your favourites." : "Taken out of your favourites.";
  } catch (error) {
    status.textContent = error.message;
  } finally {
    favourite.disabled = false;
  }
});

const form = box.querySelector(".add-to-playlist");
const choice = form.querySelector("select");
const fresh = form.querySelector(".new-playlist-title");
const freshInput = fresh.querySelector("input");
function showFresh() {
  fresh.hidden = choice.value !== "";
  freshInput.required = !fresh.hidden;
}
choice.addEventListener("change", showFresh);
showFresh();

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    let playlist = choice.value;
    let title = choice.selectedOptions[0].textContent;
    if (!playlist) {
      title = freshInput.value.trim();
      const made = await api("POST", "/playlists", { title, visibility: "private" });
      playlist = made.id;
      choice.add(new Option(made.title, made.id), 0);
      choice.value = made.id;
      freshInput.value = "";
      showFresh();
    }
    await api("POST", `/playlists/${playlist}/items`, { content_id: id });
    status.replaceChildren("Added to ", link(`/playlists/${playlist}`, title), ".");
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}
