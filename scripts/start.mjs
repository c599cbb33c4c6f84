// `npm start`: the main job. Local mode with the demo platform and light traffic, on the spec's
// ports, until Ctrl-C. Runs the built CLI (`npm start` builds first).
import { main } from '../packages/cli/dist/index.js';

process.exitCode = await main(['up', '--mode', 'local', '--demo', ...process.argv.slice(2)], {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
});
