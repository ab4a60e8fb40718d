import { connect, type Socket } from 'node:net';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createServiceKey } from '../helpers/factories';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const SOCKETS = 200;

let stack: TestStack;
let service: string;
beforeAll(async () => {
  stack = await startTestStack({ env: { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
  // Also warms up this process's HTTP client, which is slow to load on a busy machine.
  service = (await createServiceKey(stack)).key;
});
afterAll(() => stack.close());

/**
 * A client that sends its request a few bytes at a time, forever. Resolves when the server
 * hangs up, with what it answered and how long the socket lived.
 */
function trickle(head: string, drip: string): { done: Promise<{ ms: number; reply: string }>; socket: Socket } {
  const { hostname, port } = new URL(stack.url);
  const socket = connect(Number(port), hostname);
  let started = Date.now();
  let reply = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    // Held time counts from the connection: on a loaded machine 200 connects take a while.
    started = Date.now();
    socket.write(head);
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip);
    }, 200);
  });
  socket.on('data', (d) => {
    reply += d.toString('latin1');
  });
  const done = new Promise<{ ms: number; reply: string }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, reply });
    });
    socket.on('error', () => undefined);
  });
  return { done, socket };
}

describe('slow clients', () => {
  it(`cuts ${SOCKETS} trickling sockets (headers or body) within seconds, and keeps serving others meanwhile`, async () => {
    const clients = Array.from({ length: SOCKETS }, (_, i) =>
      i % 2 === 0
        ? trickle('GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n')
        : // Authenticated, so the server is reading the body when the timeout strikes.
          trickle(
            `POST /v1/usage/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${service}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"events":[`,
            ' ',
          ),
    );
    // While all of them hold sockets, a normal request is answered.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    expect((await call(stack.url, 'GET', '/healthz')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    try {
      const ends = await Promise.all(clients.map((c) => c.done));
      // The request timeout plus Node's one-second check interval, with wide slack for a loaded
      // machine; without the timeouts, Node would hold them for 60 s (headers) and 300 s (body).
      const slowest = Math.max(...ends.map((e) => e.ms));
      expect(slowest).toBeLessThan(REQUEST_TIMEOUT_MS + 15_000);
      // Cut with a 408 (or hung up on), never served.
      const answers = new Set(ends.map((e) => e.reply.split('\r\n')[0] || 'hung up'));
      expect([...answers].filter((a) => !['HTTP/1.1 408 Request Timeout', 'hung up'].includes(a))).toEqual([]);
    } finally {
      for (const c of clients) c.socket.destroy();
    }
  }, 60_000);

  it('keeps an idle keep-alive connection open past the headers timeout, and tells clients for how long', async () => {
    const { hostname, port } = new URL(stack.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString('latin1');
    });
    const answered = async (n: number) => {
      while ((received.match(/HTTP\/1\.1 200/g) ?? []).length < n) {
        if (socket.destroyed) throw new Error(`connection closed after ${received.length} bytes`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await answered(1);
      // The client's idle timeout is the server's minus a margin: the server must not be the
      // one to close while a client may still send.
      expect(received).toMatch(/\r\nKeep-Alive: timeout=65\r\n/i);
      // Idle for longer than headers may take: an idle connection is not a slow request.
      await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS * 2));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await answered(2);
    } finally {
      socket.destroy();
    }
  });
});
