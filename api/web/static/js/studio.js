// One content in the studio: processing progress live from the API's event stream, the
// metadata form (scripture checked as you type, saved through PATCH: the API's message shows
// beside the field it names), publish / schedule / unpublish, process again, delete.
import { api, events } from "./api.js";

const root = document.querySelector("[data-content]");
const id = root.dataset.content;
const statusEl = root.querySelector(".content-status");
const overall = root.querySelector("#overall");
const steps = root.querySelector(".steps");
const jobs = new Map();

function setStatus(status) {
  root.dataset.status = status;
  statusEl.textContent = status;
  statusEl.className = `content-status status-${status}`;
  if (status === "ready") overall.value = 100;
}

function showJob(job) {
  // A long video's encode runs as chunks, each a row of its own ("encode_video chunk 2"); each
  // added audio track's job is one too ("add_audio_track es").
  const name = job.chunk ? `${job.step} chunk ${job.chunk}` : job.track ? `${job.step} ${job.track}` : job.step;
  jobs.set(name, job);
  let row = steps.querySelector(`[data-step="${name}"]`);
  if (!row) {
    row = document.createElement("li");
    row.dataset.step = name;
    row.innerHTML = '<span class="step-name"></span> <span class="step-status"></span>';
    row.querySelector(".step-name").textContent = name;
    steps.append(row);
  }
  const label = job.status === "running" ? `running ${Math.round((job.progress || 0) * 100)} %` : job.status;
  row.querySelector(".step-status").textContent = label;
  row.querySelector(".step-status").className = `step-status status-${job.status}`;
  const finished = [...jobs.values()].reduce((sum, j) => sum + (["succeeded", "skipped"].includes(j.status) ? 1 : j.progress || 0), 0);
  if (root.dataset.status !== "ready") overall.value = Math.min(99, Math.round((finished / Math.max(jobs.size, 5)) * 100));
}

events(`/content/${id}/events`, (type, event) => {
  if (type === "job" || event.type === "job") showJob(event);
  if (event.status && (type === "content" || event.type === "content")) setStatus(event.status);
});
// The stream starts with the next event: read the state once in case it is already further.
api("GET", `/content/${id}`).then((c) => { c.jobs.forEach(showJob); setStatus(c.status); });

// -- metadata ------------------------------------------------------------------------------
const form = root.querySelector("form.metadata");
const formStatus = form.querySelector(".form-status");
const scripture = form.querySelector("#m-scripture");
const check = form.querySelector("#scripture-check");
let timer = null;

function note(el, text, ok) {
  el.textContent = text;
  el.classList.remove("field-ok", "field-error");
  el.classList.add(ok ? "field-ok" : "field-error");
}

scripture.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!scripture.value.trim()) return note(check, "", true);
    const answer = await fetch(`/studio/scripture?text=${encodeURIComponent(scripture.value)}`);
    const body = await answer.json();
    if (answer.ok) note(check, `✓ ${body.refs.map((r) => r.text).join("; ")}`, true);
    else note(check, body.detail, false);
    scripture.setAttribute("aria-invalid", String(!answer.ok));
  }, 300);
});

const list = (text, sep) => text.split(sep).map((s) => s.trim()).filter(Boolean);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(form);
  const patch = {
    title: f.get("title"), speaker: f.get("speaker"), description: f.get("description"),
    scripture: list(f.get("scripture"), ";"), tags: list(f.get("tags"), ","),
    language: f.get("language"), series_id: f.get("series_id") || null,
    recorded_date: f.get("recorded_date") || null,
  };
  formStatus.textContent = "Saving…";
  try {
    await api("PATCH", `/content/${id}`, patch);
    note(formStatus, "Saved", true);
    scripture.setAttribute("aria-invalid", "false");
  } catch (error) {
    note(formStatus, error.message, false);
    if (error.field === "scripture") {
      note(check, error.message, false);
      scripture.setAttribute("aria-invalid", "true");
      scripture.focus();
    }
  }
});

// -- publishing and the rest ---------------------------------------------------------------
const publish = root.querySelector("form.publish");
const publishStatus = publish.querySelector(".publish-status");

async function act(method, path, body, done) {
  publishStatus.textContent = "…";
  try {
    const content = await api(method, path, body);
    note(publishStatus, done(content), true);
    if (content.status) setStatus(content.status);
  } catch (error) {
    note(publishStatus, error.message, false);
  }
}

publish.addEventListener("submit", (event) => {
  event.preventDefault();
  const f = new FormData(publish);
  const at = f.get("publish_at");
  const body = { visibility: f.get("visibility") };
  if (at) body.publish_at = new Date(at).toISOString();
  act("POST", `/content/${id}/publish`, body, (c) => (c.published_at ? "Published" : `Scheduled for ${new Date(c.publish_at).toLocaleString()}`));
});
const commentsSwitch = root.querySelector("#p-comments");
commentsSwitch?.addEventListener("change", async () => {
  const status = root.querySelector(".comments-status");
  const enabled = commentsSwitch.checked;
  try {
    await api("PUT", `/content/${id}/comments/enabled`, { enabled });
    note(status, enabled ? "Comments are on" : "Comments are off", true);
  } catch (error) {
    commentsSwitch.checked = !enabled;
    note(status, error.message, false);
  }
});
root.querySelector(".unpublish").addEventListener("click", () => act("POST", `/content/${id}/unpublish`, undefined, () => "Unpublished"));
root.querySelector(".reprocess").addEventListener("click", () => act("POST", `/content/${id}/reprocess`, undefined, () => "Processing again"));
root.querySelector(".delete").addEventListener("click", async () => {
  if (!confirm("Delete this sermon and every file made from it? This cannot be undone.")) return;
  try {
    await api("DELETE", `/content/${id}`);
    location.assign("/studio");
  } catch (error) {
    note(publishStatus, error.message, false);
  }
});
