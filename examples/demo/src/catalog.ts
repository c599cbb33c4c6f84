/** The demo's data: the bases its users work with and the workflows they run. */

export interface DemoBase {
  readonly id: string;
  readonly name: string;
  readonly tables: readonly string[];
}

/** Airtable-shaped ids (`app` and 14 letters or digits), so id handling is exercised as in production. */
export const DEMO_BASES: readonly DemoBase[] = [
  { id: 'appDemoSales00001', name: 'Sales', tables: ['Customers', 'Orders', 'Products'] },
  { id: 'appDemoOps0000001', name: 'Operations', tables: ['Projects', 'Tasks'] },
];

export const DEMO_WORKFLOW_NAMES = ['sync-base', 'generate-report', 'send-digest'] as const;
export type DemoWorkflowName = (typeof DEMO_WORKFLOW_NAMES)[number];
