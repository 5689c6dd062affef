// The playlists page: a member starts a new playlist (through the JSON API) and goes to it.
import { api } from "./api.js";

const form = document.querySelector("[data-new-playlist]");
if (form) {
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const made = await api("POST", "/playlists", {
        title: form.elements.title.value.trim(), visibility: form.elements.visibility.value,
      });
      location.assign(`/playlists/${made.id}`);
    } catch (error) {
      form.querySelector(".form-status").textContent = error.message;
      button.disabled = false;
    }
  });
}
