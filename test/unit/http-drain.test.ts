import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainable } from '../../platform/http-drain';
import { heldRequest, refusesConnections } from '../helpers/held-request';
import { eventually } from '../helpers/eventually';

/** An echo server (answers the length of the body it read) with the drain wrapped around it. */
async function echoServer(): Promise<{ server: Server; url: string; drain: (graceMs: number) => Promise<boolean> }> {
  const server = createServer({ keepAliveTimeout: 60_000 });
  const d = drainable(server);
  server.on(
    'request',
    d.wrap((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n })));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, drain: (ms) => d.drain(ms) };
}

it('lets requests in flight finish with Connection: close, closes idle keep-alive connections, refuses new ones', async () => {
  const { url, drain } = await echoServer();
  const idle = heldRequest(url, 'GET', '/');
  expect((await idle.send()).status).toBe(200); // its connection stays open, idle
  const held = heldRequest(url, 'POST', '/', { body: { x: 'y' } });
  await held.continued;
  // Nothing but the held request keeps it: an idle keep-alive connection does not.
  const drained = drain(60_000);
  await eventually('refused', () => refusesConnections(url));
  const reply = await held.send();
  expect(reply).toMatchObject({ status: 200, body: { n: 9 } });
  expect(reply.headers.connection).toBe('close');
  expect(await drained).toBe(true);
});

it('cuts what is still in flight at the deadline and says so', async () => {
  const { drain, url } = await echoServer();
  const held = heldRequest(url, 'POST', '/', { body: { x: 'y' } });
  await held.continued;
  expect(await drain(100)).toBe(false);
  await expect(held.send()).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
});
