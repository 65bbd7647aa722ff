/**
 * The one way the UI talks to the server: `fetch` on `/api/v4` (and `/-/session`), with
 * the session cookie the browser sends by itself and, on every write, the session's
 * CSRF token. Errors become `ApiError`s carrying the API's own message, which names the
 * field and the way out.
 */
export const API_BASE = '/api/v4';
const CSRF_HEADER = 'X-CSRF-Token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One page of a list, with GitLab's pagination headers read. */
export interface Page<T> {
  items: T[];
  page: number;
  totalPages: number;
  total: number;
}

let csrfToken: string | null = null;
let onUnauthorized: ((message: string) => void) | null = null;

/** Set by the session when it starts or ends. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, signed out elsewhere, token revoked). */
export function setUnauthorizedHandler(handler: ((message: string) => void) | null): void {
  onUnauthorized = handler;
}

async function messageOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    if (typeof message === 'string' && message.length > 0) return message;
    if (message !== undefined) return JSON.stringify(message);
  } catch {
    // not JSON: a proxy's error page, for instance
  }
  return `${res.status} ${res.statusText || 'error'}: the server answered without an explanation`;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  const url = path.startsWith('/-/') ? path : `${API_BASE}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The server cannot be reached; check your connection and that the Kubegate server is running');
  }
  if (!res.ok) {
    const message = await messageOf(res);
    if (res.status === 401 && !path.startsWith('/-/session')) onUnauthorized?.(message);
    throw new ApiError(res.status, message);
  }
  const data = (res.status === 204 ? undefined : await res.json()) as T;
  return { data, headers: res.headers };
}

function intHeader(headers: Headers, name: string, fallback: number): number {
  const value = Number(headers.get(name));
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export const api = {
  async get<T>(path: string): Promise<T> {
    return (await request<T>('GET', path)).data;
  },
  async page<T>(path: string): Promise<Page<T>> {
    const { data, headers } = await request<T[]>('GET', path);
    return { items: data, page: intHeader(headers, 'X-Page', 1), totalPages: intHeader(headers, 'X-Total-Pages', 1), total: intHeader(headers, 'X-Total', data.length) };
  },
  async post<T>(path: string, body: unknown): Promise<T> {
    return (await request<T>('POST', path, body)).data;
  },
  async put<T>(path: string, body: unknown): Promise<T> {
    return (await request<T>('PUT', path, body)).data;
  },
  async delete(path: string): Promise<void> {
    await request<void>('DELETE', path);
  },
};

/** `:id` of the API for a full path (`platform/clusters` → `platform%2Fclusters`). */
export function idOf(fullPath: string): string {
  return encodeURIComponent(fullPath);
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
