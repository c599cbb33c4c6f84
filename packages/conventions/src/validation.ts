/** How every schema of the contract reports problems: one per field, with its dotted path. */
import type { z } from 'zod';

export interface Problem {
  /** Dotted path of the offending field (`http.status_code`, `models[2].model`), or `(root)`. */
  readonly path: string;
  readonly message: string;
}

export type Validation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

export function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Every issue of a failed parse, unknown keys split so each names its own path. */
export function problemsOf(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push({ path: dottedPath([...issue.path, key]), message: 'is not a known field' });
      continue;
    }
    problems.push({ path: dottedPath(issue.path), message: issue.message });
  }
  return problems;
}

/** Parses with a schema and returns either the value or every problem with its path. */
export function validateWith<S extends z.ZodType>(schema: S, input: unknown): Validation<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsOf(result.error) };
}

/** The problems as lines for an error message: `  - http.status_code: expected a number`. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => `  - ${problem.path}: ${problem.message}`).join('\n');
}
