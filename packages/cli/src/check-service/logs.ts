/** A service's log lines against the contract's log record schema, each problem by line. */
import { LOG_FIELDS, validateLogRecord } from '@pyairtable/conventions';
import type { Check } from './report.js';

/** Lines reported one by one before the rest are only counted. */
const REPORTED_LINES = 20;

export function logChecks(text: string, source: string): Check[] {
  const checks: Check[] = [];
  let lines = 0;
  let failed = 0;
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    lines++;
    let problem: string | undefined;
    try {
      const validation = validateLogRecord(JSON.parse(line));
      if (!validation.ok)
        problem = validation.problems.map((entry) => `${entry.path}: ${entry.message}`).join('; ');
    } catch {
      problem = 'not JSON: the contract has one JSON object per line';
    }
    if (problem === undefined) continue;
    failed++;
    if (failed <= REPORTED_LINES)
      checks.push({
        check: `log ${source}:${String(index + 1)}`,
        ok: false,
        detail: problem,
        fix: `write the contract’s record (packages/conventions, LogRecordSchema): ${[LOG_FIELDS.timestamp, 'service', LOG_FIELDS.level, LOG_FIELDS.message, LOG_FIELDS.category].join(', ')}`,
      });
  }
  if (lines === 0)
    return [
      {
        check: `log ${source}`,
        ok: false,
        detail: 'no log lines to check',
        fix: 'give the file the service writes its stdout to',
      },
    ];
  if (failed > REPORTED_LINES)
    checks.push({
      check: `log ${source}`,
      ok: false,
      detail: `${String(failed - REPORTED_LINES)} more lines fail the same way`,
    });
  if (failed === 0)
    checks.push({ check: `log ${source}`, ok: true, detail: `${String(lines)} lines, all contract records` });
  return checks;
}
