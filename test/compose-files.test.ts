import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkComposeFiles, type ComposeReport } from '../testing/compose-check';
import { DEV_COMPOSE as DEV, PRODUCTION_COMPOSE as PRODUCTION, PRODUCTION_SECRETS, ROOT } from './helpers/compose-files';

// No Docker engine here: the Compose files are loaded by compose-go, the library `docker compose`
// loads them with (schema, interpolation, consistency), through testing/compose-check.

const images = JSON.parse(readFileSync(join(ROOT, 'deploy', 'images.json'), 'utf8')) as {
  images: Record<string, { used_by: string[]; evidence: string }>;
  built: Record<string, string>;
};
const dockerfileImages = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  .split('\n')
  .flatMap((l) => /^FROM\s+(\S+)/i.exec(l)?.[1] ?? []);

describe('Compose files, loaded by compose-go', () => {
  let dev: ComposeReport;
  let production: ComposeReport;
  beforeAll(async () => {
    const reports = await checkComposeFiles([DEV, PRODUCTION], PRODUCTION_SECRETS);
    [dev, production] = [reports[0]!, reports[1]!];
  }, 300_000);

  it('both files conform to the Compose Specification and every mounted file exists', () => {
    for (const report of [dev, production]) {
      expect(report.error).toBeUndefined();
      expect(report.missing).toBeUndefined();
      expect(report.badXml).toBeUndefined();
    }
    expect(dev.services!.map((s) => s.name)).toEqual(['app', 'clickhouse', 'postgres', 'temporal']);
    // The production build's context and Dockerfile were found (else `missing` would list them).
    expect(production.services!.find((s) => s.name === 'api')!.build!.dockerfile).toBe(join(ROOT, 'Dockerfile'));
  });

  it('names only image tags listed, with evidence, in deploy/images.json, and the list names no unused tag', () => {
    const named = new Set([...[dev, production].flatMap((r) => r.services!.map((s) => s.image!)), ...dockerfileImages]);
    const listed = new Set([...Object.keys(images.images), ...Object.keys(images.built)]);
    expect([...named].filter((i) => !listed.has(i))).toEqual([]);
    expect([...listed].filter((i) => !named.has(i))).toEqual([]);
    for (const [image, entry] of Object.entries(images.images)) {
      expect({ image, evidence: entry.evidence.length > 20 }).toEqual({ image, evidence: true });
      expect(image).toMatch(/^[a-z0-9./-]+:[\w.-]+$/); // a pinned tag, never `latest`
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('says where each listed image is used, and it is used there', () => {
    const usedIn = (image: string): string[] =>
      [
        dev.services!.some((s) => s.image === image) && 'docker-compose.yml',
        production.services!.some((s) => s.image === image) && 'deploy/docker-compose.production.yml',
        dockerfileImages.includes(image) && 'Dockerfile',
      ].filter((x): x is string => Boolean(x));
    for (const [image, entry] of Object.entries(images.images))
      expect({ image, used: [...entry.used_by].sort() }).toEqual({ image, used: usedIn(image).sort() });
  });

  it('refuses to load the production file without its secrets, naming the missing one', async () => {
    const withoutAdminToken = Object.fromEntries(Object.entries(PRODUCTION_SECRETS).filter(([k]) => k !== 'ADMIN_TOKEN'));
    const [report] = await checkComposeFiles([PRODUCTION], withoutAdminToken);
    expect(report!.error).toMatch(/required variable ADMIN_TOKEN is missing/);
  });

  it('rejects what the specification rejects (so a pass above means something)', async () => {
    const broken = join(ROOT, 'test', 'fixtures', 'compose');
    const [unknownKey, undefinedDependency] = await checkComposeFiles([join(broken, 'unknown-key.yml'), join(broken, 'undefined-dependency.yml')], {});
    expect(unknownKey!.error).toMatch(/services\.app\.restart_policy/);
    expect(undefinedDependency!.error).toMatch(/depends on undefined service "db"/);
  });
});
