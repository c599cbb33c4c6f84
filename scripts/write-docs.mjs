// Writes the generated contract reference. Run through `npm run docs` (builds first).
import { writeFileSync } from 'node:fs';
import { contractReference } from '@pyairtable/conventions';

const target = new URL('../docs/conventions.md', import.meta.url);
writeFileSync(target, contractReference());
console.log(`wrote ${target.pathname}`);
