import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RENDER_MANIFEST, renderComposeStack } from '@pyairtable/stack';
import { DEPLOY_DIR, deployRenderEnv } from '../scripts/deploy-render.mjs';

const STALE =
  'deploy/compose is not what the model renders: run `npm run render:deploy` and commit the result.';

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(DEPLOY_DIR, path)];
  });
}

describe('the committed production render (deploy/compose)', () => {
  const render = renderComposeStack({
    profile: 'production',
    env: deployRenderEnv(),
  });

  it('exists', () => {
    expect(existsSync(DEPLOY_DIR), STALE).toBe(true);
  });

  it('holds exactly the files the model renders, byte for byte', () => {
    const onDisk = filesUnder(DEPLOY_DIR)
      .filter((path) => path !== RENDER_MANIFEST)
      .sort();
    expect(onDisk, STALE).toEqual(render.files.map((file) => file.path));
    for (const file of render.files)
      expect(readFileSync(join(DEPLOY_DIR, file.path), 'utf8'), `${file.path}: ${STALE}`).toBe(file.content);
  });
});
