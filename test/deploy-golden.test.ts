import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RENDER_MANIFEST, renderComposeStack, renderKubernetesStack } from '@pyairtable/stack';
import { DEPLOY_DIRS, deployRenderEnv } from '../scripts/deploy-render.mjs';

function filesUnder(root: string, directory = root): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(root, path) : [relative(root, path)];
  });
}

const RENDERS = {
  compose: () => renderComposeStack({ profile: 'production', env: deployRenderEnv() }),
  kubernetes: () => renderKubernetesStack({ profile: 'production', env: deployRenderEnv() }),
} as const;

describe.each(Object.keys(RENDERS) as (keyof typeof RENDERS)[])(
  'the committed production render (deploy/%s)',
  (target) => {
    const directory = DEPLOY_DIRS[target];
    const stale = `deploy/${target} is not what the model renders: run \`npm run render:deploy\` and commit the result.`;
    const render = RENDERS[target]();

    it('exists', () => {
      expect(existsSync(directory), stale).toBe(true);
    });

    it('holds exactly the files the model renders, byte for byte', () => {
      const onDisk = filesUnder(directory)
        .filter((path) => path !== RENDER_MANIFEST)
        .sort();
      expect(onDisk, stale).toEqual(render.files.map((file) => file.path));
      for (const file of render.files)
        expect(readFileSync(join(directory, file.path), 'utf8'), `${file.path}: ${stale}`).toBe(file.content);
    });
  },
);
