/**
 * API keys become telemetry only as HMAC-SHA256 digests keyed by a secret: the same key always
 * gives the same hash (so usage can be tracked per key), nobody without the secret can test a
 * guessed key against it, and no slice of the key is ever kept.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { warnOnce } from './warnings.js';

export type ApiKeyHasher = (apiKey: string) => string;

export function createApiKeyHasher(secret: string | undefined, environment: string): ApiKeyHasher {
  let key = secret;
  if (key === undefined) {
    key = randomBytes(32).toString('hex');
    if (environment !== 'development')
      warnOnce(
        'hmac-secret',
        'PYAIRTABLE_API_KEY_HMAC_SECRET is not set: API key hashes use a random per-process secret and will not match across instances or restarts.',
      );
  }
  const secretKey = key;
  return (apiKey) => createHmac('sha256', secretKey).update(apiKey).digest('hex');
}
