// The JSON API, called as the signed-in account: the page carries a short-lived access token
// (api/web/live.py page_token) and the API's guards decide, as for any client. Errors keep the
// API's own {code, detail}. Pages stay open longer than their token lasts (a sermon, a service,
// the studio): refused with 401, a page that had a token asks /page-token for a fresh one with
// its session cookie and tries once more.
const tokenMeta = () => document.querySelector('meta[name="cnt-token"]');
const token = () => tokenMeta()?.content || "";

export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || `the server answered ${status}`);
    this.status = status;
    this.code = body.code;
    this.field = body.extra?.field;
  }
}

// "fresh" (the page's meta now holds a new token), "signed-out" (the session is gone: the page
// answers with the sign-in page, or refuses) or "failed" (the server, for now); a network
// failure throws.
async function renewToken() {
  const answer = await fetch("/page-token", { headers: { Accept: "application/json" } });
  if (answer.redirected || answer.status === 401 || answer.status === 403) return "signed-out";
  if (!answer.ok) return "failed";
  const { token: fresh } = await answer.json();
  tokenMeta()?.setAttribute("content", fresh);
  return "fresh";
}

export async function refreshToken() {
  return (await renewToken()) === "fresh";
}

async function call(method, path, body) {
  // A visitor's page has no token: an empty bearer would be refused where none is needed.
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const data = text ? JSON.parse(text) : {};
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

export async function api(method, path, body) {
  try {
    return await call(method, path, body);
  } catch (error) {
    const expired = error instanceof ApiError && error.status === 401 && token();
    if (!expired || !(await refreshToken())) throw error;
    return call(method, path, body);
  }
}

// PUT bytes with progress (fetch has no upload progress); resolves with the response.
export function send(method, url, blob, { onProgress, auth = true, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (auth) xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch { body = { detail: xhr.responseText }; }
        reject(new ApiError(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(new Error("the connection failed; try again to resume"));
    xhr.send(blob);
  });
}

// Server-Sent Events with the Authorization header (EventSource cannot send one): a fetch
// read line by line, reconnecting with Last-Event-ID after a drop. A page outlives its token
// (15 minutes), so a reconnection is often refused with 401: the stream then asks /page-token
// for a fresh one, as api() does, and reconnects at once. Any other answer than 200 (or no
// answer) waits longer each time, up to RETRY_CAP_MS, so a server that is down or refusing is
// not asked every second by every open page; the wait is jittered so pages dropped together by
// a restart do not all come back in the same instant.
const RETRY_MS = 1000;
const RETRY_CAP_MS = 30_000;

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

async function read(answer, onEvent, seen) {
  const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n"); // SSE lines may end in CRLF (Litestar's do)
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split("\n").filter((l) => l && !l.startsWith(":"))
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]));
      if (fields.id) seen(fields.id);
      if (fields.data) onEvent(fields.event || "message", JSON.parse(fields.data));
    }
  }
}

export async function events(path, onEvent, signal) {
  let last = null;
  let failures = 0; // attempts in a row that did not get the stream
  let renewed = false; // this attempt's token is fresh: a 401 now is not its age
  while (!signal?.aborted) {
    let streamed = false;
    try {
      // A visitor's page has no token: an empty bearer would be refused where none is needed.
      const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
      if (last) headers["Last-Event-ID"] = last;
      const answer = await fetch(`/api/v1${path}`, { headers, signal });
      if (answer.status === 200) {
        streamed = true;
        await read(answer, onEvent, (id) => { last = id; });
      } else {
        // An error's body is JSON, not a stream: let it go unread.
        answer.body?.cancel().catch(() => {});
        if (answer.status === 401 && token() && !renewed) {
          const renewal = await renewToken();
          // Signed out, or the session ended: no token can be had until the person signs in
          // again, which loads a new page anyway. So stop, rather than fetch the sign-in page
          // every RETRY_CAP_MS from every stale tab, or go on as a visitor under a page that
          // still shows a member's controls (and members' streams refuse visitors anyway).
          if (renewal === "signed-out") return;
          if (renewal === "fresh") {
            renewed = true;
            continue; // at once, with the fresh token
          }
        }
      }
    } catch {
      if (signal?.aborted) return;
    }
    renewed = false;
    failures = streamed ? 0 : failures + 1;
    const wait = Math.min(RETRY_CAP_MS, RETRY_MS * 2 ** Math.max(0, failures - 1));
    await pause(wait / 2 + (Math.random() * wait) / 2, signal);
  }
}
