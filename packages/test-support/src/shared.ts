/**
 * Files from `shared/`, which lies beside the project checkout (as it does for developers and
 * in CI): reference data such as the collector release manifest and the Compose schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export function readSharedFile(relativePath: string): string {
  const path = `${SHARED}${relativePath}`;
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: the tests read reference data from shared/, which must lie beside the checkout.`,
    );
  return readFileSync(path, 'utf8');
}
