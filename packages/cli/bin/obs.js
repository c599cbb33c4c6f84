#!/usr/bin/env node
// The `obs` command. Built code only: `npm run build` (or `npm install` in the repository) first.
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
