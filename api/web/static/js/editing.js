// The studio's editing: trim to a range (or to the suggested sermon), undo it, and cut clips.
// Every rule and refusal is the API's (/content/{id}/trim, /clips): its sentence is shown.
import { api } from "./api.js";

const root = document.querySelector("[data-content]");
const section = root?.querySelector(".editing");
if (section) {
  const id = root.dataset.content;
  const trim = section.querySelector("form.trim");
  const trimStatus = trim.querySelector(".trim-status");
  const clip = section.querySelector("form.clip");
  const clipStatus = clip.querySelector(".clip-status");
  const clips = section.querySelector("ul.clips");
  const seconds = (form, name) => Number.parseFloat(form.elements[name].value);

  const say = (el, text, ok) => {
    el.textContent = text;
    el.classList.remove("field-ok", "field-error");
    el.classList.add(ok ? "field-ok" : "field-error");
  };

  trim.querySelector(".suggest").addEventListener("click", async () => {
    try {
      const found = await api("GET", `/content/${id}/trim/suggestion`);
      if (found.start_s === null) return say(trimStatus, "No sermon found: set the range by hand.", false);
      trim.elements.start_s.value = found.start_s.toFixed(1);
      trim.elements.end_s.value = found.end_s.toFixed(1);
      say(trimStatus, "Suggested: check the range, then Trim.", true);
    } catch (error) {
      say(trimStatus, error.message, false);
    }
  });

  trim.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const done = await api("POST", `/content/${id}/trim`, {
        start_s: seconds(trim, "start_s"), end_s: seconds(trim, "end_s"),
      });
      say(trimStatus, `Trimming: generation ${done.generation} is being made; the current one plays meanwhile.`, true);
    } catch (error) {
      say(trimStatus, error.message, false);
    }
  });

  trim.querySelector(".untrim")?.addEventListener("click", async () => {
    try {
      await api("DELETE", `/content/${id}/trim`);
      say(trimStatus, "The whole recording is being made again.", true);
    } catch (error) {
      say(trimStatus, error.message, false);
    }
  });

  const showClip = (c) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/studio/${c.id}`;
    link.textContent = `Clip ${c.start_s.toFixed(1)}–${c.end_s.toFixed(1)} s, ${c.aspect} (${c.status})`;
    item.append(link);
    clips.append(item);
  };

  clip.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api("POST", `/content/${id}/clips`, {
        title: clip.elements.title.value, start_s: seconds(clip, "start_s"),
        end_s: seconds(clip, "end_s"), aspect: clip.elements.aspect.value,
        reframe: clip.elements.reframe.value, captions: clip.elements.captions.checked,
      });
      showClip(made);
      say(clipStatus, "The clip is being made.", true);
    } catch (error) {
      say(clipStatus, error.message, false);
    }
  });

  api("GET", `/content/${id}/clips`).then((list) => list.forEach(showClip)).catch(() => {});
}
