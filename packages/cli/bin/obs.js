#!/usr/bin/env node
// The `obs` command. Built code only: `npm run build` (or `npm install` in the repository) first.
import { main } from '../dist/index.js';

// Output piped into a reader that stops early (`obs erase --dry-run | head`) ends quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
