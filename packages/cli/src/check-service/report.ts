/** One line of `obs check-service`'s report: what was checked, whether it held, and the fix. */
export interface Check {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  /** How to make it hold; only where it does not. */
  readonly fix?: string;
}
