/** A tiny JSON client for the API under test (real HTTP, real server). */
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const client = (base: string, token?: string) => ({
  get: <T = any>(path: string, t = token) => call<T>(base, 'GET', path, { token: t }),
  post: <T = any>(path: string, body?: unknown, t = token) => call<T>(base, 'POST', path, { token: t, body: body ?? {} }),
  put: <T = any>(path: string, body?: unknown, t = token) => call<T>(base, 'PUT', path, { token: t, body: body ?? {} }),
  del: <T = any>(path: string, t = token) => call<T>(base, 'DELETE', path, { token: t }),
});
