// The JSON API as the signed-in member, for pages that stay open longer than their token lasts
// (a sermon, a playlist): refused with 401, the page asks /page-token for a fresh token with its
// session cookie, puts it where api.js reads it, and tries once more.
import { api, ApiError } from "./api.js";

async function refreshToken() {
  const answer = await fetch("/page-token", { headers: { Accept: "application/json" } });
  // Signed out meanwhile: the page answers with the sign-in page instead.
  if (answer.redirected || !answer.ok) return false;
  const { token } = await answer.json();
  document.querySelector('meta[name="cnt-token"]')?.setAttribute("content", token);
  return true;
}

export async function memberApi(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !(await refreshToken())) throw error;
    return api(method, path, body);
  }
}
