import http from 'node:http';
import { connect } from 'node:net';

export interface HeldReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * A request that is in flight for as long as the test wants: its headers go out with
 * `Expect: 100-continue`, `continued` resolves once the server has taken them (its 100 Continue
 * means the request reached the app), and the body goes out on send(). A keep-alive client, so
 * the server's `Connection` answer is its own.
 */
export function heldRequest(url: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers: http.OutgoingHttpHeaders = {
    ...(opts.token && { authorization: `Bearer ${opts.token}` }),
    ...(payload && { 'content-type': 'application/json', 'content-length': payload.length, expect: '100-continue' }),
  };
  const req = http.request(`${url}${path}`, { method, headers, agent });
  const reply = new Promise<HeldReply>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
  });
  reply.catch(() => undefined); // observed through send()
  const continued = payload ? new Promise<void>((resolve) => req.once('continue', () => resolve())) : Promise.resolve();
  if (payload) req.flushHeaders();
  return {
    continued,
    send(): Promise<HeldReply> {
      req.end(payload);
      return reply;
    },
  };
}

/** True when a TCP connect to the URL's port is refused (nothing listens there any more). */
export function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
