import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh copy of the module (it resolves once per process), under the given environment. */
async function resolveWith(env: Record<string, string | undefined>): Promise<{ path: string; version: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    let mod!: typeof import('../../embedded/temporal-cli');
    jest.isolateModules(() => {
      mod = require('../../embedded/temporal-cli');
    });
    return { path: await mod.ensureTemporalCli(), version: mod.TEMPORAL_CLI_VERSION };
  } finally {
    process.env = saved;
  }
}

describe('Temporal CLI resolution', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollbooth-cli-bin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('TEMPORAL_CLI wins over everything else', async () => {
    const fake = join(dir, 'my-temporal');
    writeFileSync(fake, '#!/bin/sh\necho custom\n');
    chmodSync(fake, 0o755);
    expect((await resolveWith({ TEMPORAL_CLI: fake })).path).toBe(fake);
  });

  it('a TEMPORAL_CLI that is not an executable is an error naming the variable', async () => {
    await expect(resolveWith({ TEMPORAL_CLI: join(dir, 'missing') })).rejects.toThrow(/TEMPORAL_CLI=.*not an executable/);
  });

  it('without an override, the tests and npm start get the pinned release binary', async () => {
    const onPath = (process.env.PATH ?? '').split(':').some((d) => {
      try {
        execFileSync(join(d, 'temporal'), ['--version']);
        return true;
      } catch {
        return false;
      }
    });
    if (onPath) return; // a temporal on PATH is the user's choice, by design
    const { path, version } = await resolveWith({ TEMPORAL_CLI: undefined });
    expect(execFileSync(path, ['--version'], { encoding: 'utf8' })).toContain(`temporal version ${version} `);
  });
});
