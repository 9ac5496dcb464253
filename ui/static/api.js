// The inspector's only way to memsvc: the public /v1 API, on this origin. The API key, when one is
// needed, lives in sessionStorage and goes in the Authorization header, never in a URL.
const KEY = 'memsvc.apikey';

export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setAPIKey(k) { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); }

export class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// api sends one request and answers its decoded JSON (null for 204); a non-2xx answer throws an
// APIError with the API's own code and message.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = apiKey();
  if (key) headers.Authorization = 'Bearer ' + key;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  const r = await fetch(path, init);
  if (r.status === 204) return null;
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const e = data && data.error ? data.error : {};
    throw new APIError(r.status, e.code || 'http_' + r.status, e.message || r.statusText);
  }
  return data;
}

export const enc = encodeURIComponent;
export const agentPath = (id) => '/v1/agents/' + enc(id);
