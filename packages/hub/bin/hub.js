#!/usr/bin/env node
// The hub as a process; built code only (`npm run build` first).
import { runHubCli } from '../dist/cli.js';

process.exitCode = await runHubCli(process.argv.slice(2), process.env);
