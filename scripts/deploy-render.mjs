// The committed default production renders: `npm run render:deploy` writes deploy/compose and
// deploy/kubernetes from the model; a test renders again and fails on any difference (so CI does too).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CHANNEL_VARIABLES,
  STACK_SECRETS,
  TLS_COMPONENT_FILES,
  parseDotEnv,
  tlsVariable,
} from '@pyairtable/stack';

export const DEPLOY_DIR = fileURLToPath(new URL('../deploy/compose/', import.meta.url));
export const DEPLOY_DIRS = {
  compose: DEPLOY_DIR,
  kubernetes: fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url)),
};
export const DEPLOY_ENV_FILE = fileURLToPath(new URL('../deploy/compose.render.env', import.meta.url));

/**
 * The render's environment: the committed non-secret inputs, and every secret marked as set
 * with a throwaway random value (never written anywhere, so the output is the same each time).
 */
export function deployRenderEnv() {
  const throwaway = () => randomBytes(18).toString('base64url');
  return {
    ...parseDotEnv(readFileSync(DEPLOY_ENV_FILE, 'utf8')),
    ...Object.fromEntries(Object.values(STACK_SECRETS).map((secret) => [secret.variable, throwaway()])),
    // TLS files are only checked for presence too: the render names their variables, never their content.
    ...Object.fromEntries(
      [...new Set(Object.values(TLS_COMPONENT_FILES).flat())].map((file) => [tlsVariable(file), throwaway()]),
    ),
    GRAFANA_SSO_CLIENT_SECRET: throwaway(),
    [CHANNEL_VARIABLES.slackWebhookUrl]: `https://hooks.slack.com/services/${throwaway()}`,
    [CHANNEL_VARIABLES.pagerdutyServiceKey]: throwaway(),
    [CHANNEL_VARIABLES.smtpPassword]: throwaway(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { main } = await import('@pyairtable/cli');
  for (const [target, directory] of Object.entries(DEPLOY_DIRS)) {
    const code = await main(['render', '--target', target, '--profile', 'production', '--out', directory], {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
      env: deployRenderEnv(),
      cwd: process.cwd(),
    });
    if (code !== 0) process.exitCode = code;
  }
}
