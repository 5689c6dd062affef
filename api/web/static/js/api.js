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

export async function refreshToken() {
  const answer = await fetch("/page-token", { headers: { Accept: "application/json" } });
  // Signed out meanwhile: the page answers with the sign-in page instead.
  if (answer.redirected || !answer.ok) return false;
  const { token: fresh } = await answer.json();
  tokenMeta()?.setAttribute("content", fresh);
  return true;
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
// read line by line, reconnecting with Last-Event-ID after a drop.
export async function events(path, onEvent, signal) {
  let last = null;
  while (!signal?.aborted) {
    try {
      // A visitor's page has no token: an empty bearer would be refused where none is needed.
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
      if (last) headers["Last-Event-ID"] = last;
      const answer = await fetch(`/api/v1${path}`, { headers, signal });
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n"); // SSE lines may end in CRLF (Litestar's do)
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split("\n").filter((l) => l && !l.startsWith(":"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]));
          if (fields.id) last = fields.id;
          if (fields.data) onEvent(fields.event || "message", JSON.parse(fields.data));
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
