/** The SDK's warnings, captured for each test of the file that calls this (reset before each). */
import { afterEach, beforeEach } from 'vitest';
import { setWarningSink } from '@pyairtable/telemetry';
import { resetWarnings } from '../src/warnings.js';

export function captureWarnings(): string[] {
  const messages: string[] = [];
  let restore: () => void = () => undefined;
  beforeEach(() => {
    messages.length = 0;
    resetWarnings();
    restore = setWarningSink((message) => messages.push(message));
  });
  afterEach(() => {
    restore();
  });
  return messages;
}
