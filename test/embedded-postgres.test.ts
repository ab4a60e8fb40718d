import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';

/**
 * `npm start`'s embedded Postgres is one PGlite session shared by every connection of the API
 * and the worker. Connections must not see each other's half-sent queries: a transaction or a
 * parameterised query of one connection arriving between another's Parse and Bind used to make
 * that query bind against the wrong statement (wrong rows, "malformed array literal") and could
 * stall the queue for good.
 */
let dir: string;
let server: ChildProcess;
let pools: Pool[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollbooth-pglite-'));
  const root = join(__dirname, '..');
  server = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['test/helpers/pglite-child.ts', dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /url=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`the PGlite server exited with ${code}`)));
  });
  pools = [0, 1, 2].map(() => new Pool({ connectionString: url, max: 4 }));
  await pools[0]!.query('CREATE TABLE items (id text PRIMARY KEY, n int NOT NULL)');
  await pools[0]!.query("INSERT INTO items SELECT 'i' || g, g FROM generate_series(1, 100) g");
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

it("keeps every connection's queries and transactions whole under concurrency", async () => {
  const wrong: string[] = [];
  const lane = async (l: number) => {
    const pool = pools[l % pools.length]!;
    for (let i = l; i < 12 * 60; i += 12) {
      const n = (i % 100) + 1;
      switch (i % 4) {
        case 0: {
          // an array parameter, as the tenant and key lookups use
          const { rows } = await pool.query<{ id: string }>('SELECT id FROM items WHERE id = ANY($1)', [[`i${n}`]]);
          if (rows[0]?.id !== `i${n}`) wrong.push(`any ${i}: ${JSON.stringify(rows)}`);
          break;
        }
        case 1: {
          // two parameters of other types
          const { rows } = await pool.query<{ k: number }>('SELECT n, $2::int AS k FROM items WHERE n = $1', [n, i]);
          if (rows[0]?.k !== i) wrong.push(`two ${i}: ${JSON.stringify(rows)}`);
          break;
        }
        case 2: {
          // a transaction of several statements
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            const { rows } = await c.query<{ t: string }>('SELECT $1::text AS t', [`x${i}`]);
            await c.query('UPDATE items SET n = n WHERE id = $1', [`i${n}`]);
            await c.query('COMMIT');
            if (rows[0]?.t !== `x${i}`) wrong.push(`tx ${i}: ${JSON.stringify(rows)}`);
          } finally {
            c.release();
          }
          break;
        }
        default: {
          // a statement that fails inside the batch (unique violation)
          const err = await pool.query('INSERT INTO items VALUES ($1, 0)', [`i${n}`]).then(
            () => undefined,
            (e: { code?: string }) => e,
          );
          if (err?.code !== '23505') wrong.push(`dup ${i}: ${String(err)}`);
        }
      }
    }
  };
  await Promise.all(
    Array.from({ length: 12 }, (_, l) =>
      lane(l).catch((err: unknown) => {
        wrong.push(`lane ${l}: ${String(err)}`);
      }),
    ),
  );
  expect(wrong).toEqual([]);
  const { rows } = await pools[1]!.query<{ c: string }>('SELECT count(*)::text AS c FROM items');
  expect(rows[0]!.c).toBe('100');
}, 60_000);
