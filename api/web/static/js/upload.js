// The upload page: a draft through the API, then the file straight to storage. With S3 the
// presigned multipart API (parts in parallel, resumable: the upload id is remembered per file,
// and a retry sends only the parts S3 lacks); in the embedded set-up the streamed PUT /source.
// Then on to the content's page, where processing shows live.
import { api, send } from "./api.js";

const form = document.querySelector("form.upload");
const bar = form.querySelector("progress");
const status = form.querySelector(".upload-status");
const PARALLEL = 3;

function progress(sent, total) {
  bar.value = total ? Math.round((sent / total) * 100) : 0;
  status.textContent = `${Math.round((sent / total) * 100)} % sent`;
}

async function streamed(contentId, file) {
  await send("PUT", `/api/v1/content/${contentId}/source`, file, {
    headers: { "X-Filename": file.name }, onProgress: (sent) => progress(sent, file.size),
  });
}

async function multipart(contentId, file) {
  const key = `cnt-upload:${contentId}:${file.name}:${file.size}:${file.lastModified}`;
  let upload = null;
  const known = localStorage.getItem(key);
  if (known) upload = await api("GET", `/content/${contentId}/uploads/${known}`).catch(() => null);
  if (!upload) {
    upload = await api("POST", `/content/${contentId}/uploads`, { bytes: file.size, filename: file.name });
    localStorage.setItem(key, upload.upload_id);
  }
  const done = new Map(upload.parts.map((p) => [p.part_number, p.size]));
  const sending = new Map();
  const report = () => progress([...done.values(), ...sending.values()].reduce((a, b) => a + b, 0), file.size);
  let urls = upload.part_urls;
  const queue = [...urls];
  async function worker() {
    while (queue.length) {
      const { part_number: n, url } = queue.shift();
      const blob = file.slice((n - 1) * upload.part_size, n * upload.part_size);
      await send("PUT", url, blob, { auth: false, onProgress: (sent) => { sending.set(n, sent); report(); } });
      sending.delete(n);
      done.set(n, blob.size);
      report();
    }
  }
  while (done.size < upload.part_count) {
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (done.size < upload.part_count) {
      const missing = Array.from({ length: upload.part_count }, (_, i) => i + 1).filter((n) => !done.has(n));
      urls = (await api("POST", `/content/${contentId}/uploads/${upload.upload_id}/parts`, { part_numbers: missing.slice(0, 100) })).part_urls;
      queue.push(...urls);
    }
  }
  await api("POST", `/content/${contentId}/uploads/${upload.upload_id}/complete`, {});
  localStorage.removeItem(key);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = form.querySelector("#file").files[0];
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    status.textContent = "Creating the draft…";
    const content = await api("POST", "/content", { title: form.querySelector("#title").value });
    if (form.dataset.direct === "1") await multipart(content.id, file);
    else await streamed(content.id, file);
    status.textContent = "Uploaded: processing starts";
    location.assign(`/studio/${content.id}`);
  } catch (error) {
    status.textContent = error.message;
    button.disabled = false;
  }
});
