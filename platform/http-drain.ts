import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Graceful stop for an HTTP server: stop accepting connections, let the requests in flight
 * finish, then close. Node's server.close() alone leaves a keep-alive connection open until its
 * timeout after its last response, and closeAllConnections() cuts requests mid-way; this closes
 * each connection as soon as it has nothing in flight. `wrap` goes around the request handler
 * so that every request is known; `drain(graceMs)` resolves true when all finished in time,
 * false when the rest had to be cut at the deadline.
 */
export function drainable(server: Server) {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let drained: Promise<boolean> | undefined;

  // A response that still has its headers to write tells a keep-alive client to go away, so the
  // client does not send its next request onto a connection that is about to close.
  const goodbye = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };

  return {
    wrap(handler: (req: IncomingMessage, res: ServerResponse) => void) {
      return (req: IncomingMessage, res: ServerResponse) => {
        inFlight.add(res);
        if (draining) goodbye(res);
        res.once('close', () => {
          inFlight.delete(res);
          // Error responses may drop the header (Koa clears headers on errors): close their idle connection here.
          if (draining) server.closeIdleConnections();
        });
        handler(req, res);
      };
    },

    drain(graceMs: number): Promise<boolean> {
      drained ??= new Promise<boolean>((resolve) => {
        draining = true;
        inFlight.forEach(goodbye);
        let cut = false;
        const deadline = setTimeout(() => {
          cut = inFlight.size > 0;
          server.closeAllConnections();
        }, graceMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve(!cut);
        });
        server.closeIdleConnections();
      });
      return drained;
    },
  };
}
