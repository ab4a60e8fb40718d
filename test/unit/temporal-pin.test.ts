import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TEMPORAL_CLI_VERSION } from '../../embedded/temporal-cli';
import { DEV_COMPOSE, PRODUCTION_COMPOSE, ROOT } from '../helpers/compose-files';

// The Temporal CLI is pinned once, in embedded/temporal-cli.ts. The files that cannot import it
// (Compose files, the image list, the README) must name the same release, or a bump leaves
// Docker users on another server than the tests ran against.
const IMAGE = 'temporalio/temporal';
const read = (file: string) => readFileSync(file, 'utf8');
const tagsOf = (image: string, names: string[]) => names.filter((n) => n.startsWith(`${image}:`)).map((n) => n.slice(image.length + 1));

describe('the Temporal CLI pin', () => {
  it('every Compose file that runs the Temporal CLI image uses the pinned release', () => {
    const images = [DEV_COMPOSE, PRODUCTION_COMPOSE].flatMap((file) =>
      Object.values((parse(read(file)) as { services: Record<string, { image?: string }> }).services).flatMap((s) => s.image ?? []),
    );
    const tags = tagsOf(IMAGE, images);
    expect(tags.length).toBeGreaterThan(0); // docker-compose.yml runs it
    expect(new Set(tags)).toEqual(new Set([TEMPORAL_CLI_VERSION]));
    // Its comment names the version too.
    expect(read(DEV_COMPOSE).match(/the same (\S+) the tests pin/)?.[1]).toBe(TEMPORAL_CLI_VERSION);
  });

  it('deploy/images.json lists the pinned release of the image, and no other', () => {
    const listed = Object.keys((JSON.parse(read(join(ROOT, 'deploy', 'images.json'))) as { images: Record<string, unknown> }).images);
    expect(tagsOf(IMAGE, listed)).toEqual([TEMPORAL_CLI_VERSION]);
  });

  it('the README names the pinned release and its cache path', () => {
    const readme = read(join(ROOT, 'README.md'));
    expect([...readme.matchAll(/Temporal CLI \*\*([\d.]+)\*\*/g)].map((m) => m[1])).toEqual([TEMPORAL_CLI_VERSION]);
    expect([...readme.matchAll(/bin\/temporal-([\d.]+)/g)].map((m) => m[1])).toEqual([TEMPORAL_CLI_VERSION]);
  });
});
