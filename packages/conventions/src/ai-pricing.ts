/**
 * AI model prices in USD per million tokens, and the cost arithmetic. The SDK records the
 * cost of every model call computed from this table (`pyairtable.gen_ai.cost.source` =
 * `price_table`); the HighAICosts alert and the cost dashboard read the result.
 *
 * Prices are the providers' public list prices on `effectiveDate` for standard (non-batch)
 * requests at the base context tier; long-context surcharges and batch discounts are not
 * modelled. They change: override entries with `mergePriceTables` or a file validated by
 * `parsePriceTable`, rather than editing this table in a service.
 */
import { z } from 'zod';
import { GEN_AI_PROVIDERS } from './metrics.js';
import type { Validation } from './validation.js';
import { validateWith } from './validation.js';

export type GenAiProvider = (typeof GEN_AI_PROVIDERS)[number];

const PRICE = z.number().nonnegative();

export const ModelPriceSchema = z.strictObject({
  provider: z.enum(GEN_AI_PROVIDERS),
  /** Model id as the provider's API names it, without a dated snapshot suffix. */
  model: z.string().regex(/^[a-z0-9][a-z0-9._:-]*$/, 'lower-case model id like "gpt-4o-mini"'),
  inputUsdPerMillion: PRICE,
  outputUsdPerMillion: PRICE,
  /** Price of input tokens served from the provider's prompt cache; input price when absent. */
  cachedInputUsdPerMillion: PRICE.optional(),
});

export const PriceTableSchema = z.strictObject({
  /** Day the prices were read from the providers' pricing pages (YYYY-MM-DD). */
  effectiveDate: z.iso.date(),
  models: z.array(ModelPriceSchema).min(1),
});

export type ModelPrice = z.output<typeof ModelPriceSchema>;
export type PriceTable = z.output<typeof PriceTableSchema>;

export const AI_PRICE_TABLE: PriceTable = {
  effectiveDate: '2025-11-24',
  models: [
    {
      provider: 'openai',
      model: 'gpt-5',
      inputUsdPerMillion: 1.25,
      outputUsdPerMillion: 10,
      cachedInputUsdPerMillion: 0.125,
    },
    {
      provider: 'openai',
      model: 'gpt-5-mini',
      inputUsdPerMillion: 0.25,
      outputUsdPerMillion: 2,
      cachedInputUsdPerMillion: 0.025,
    },
    {
      provider: 'openai',
      model: 'gpt-5-nano',
      inputUsdPerMillion: 0.05,
      outputUsdPerMillion: 0.4,
      cachedInputUsdPerMillion: 0.005,
    },
    {
      provider: 'openai',
      model: 'gpt-4.1',
      inputUsdPerMillion: 2,
      outputUsdPerMillion: 8,
      cachedInputUsdPerMillion: 0.5,
    },
    {
      provider: 'openai',
      model: 'gpt-4.1-mini',
      inputUsdPerMillion: 0.4,
      outputUsdPerMillion: 1.6,
      cachedInputUsdPerMillion: 0.1,
    },
    {
      provider: 'openai',
      model: 'gpt-4.1-nano',
      inputUsdPerMillion: 0.1,
      outputUsdPerMillion: 0.4,
      cachedInputUsdPerMillion: 0.025,
    },
    {
      provider: 'openai',
      model: 'gpt-4o',
      inputUsdPerMillion: 2.5,
      outputUsdPerMillion: 10,
      cachedInputUsdPerMillion: 1.25,
    },
    {
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputUsdPerMillion: 0.15,
      outputUsdPerMillion: 0.6,
      cachedInputUsdPerMillion: 0.075,
    },
    {
      provider: 'openai',
      model: 'o3',
      inputUsdPerMillion: 2,
      outputUsdPerMillion: 8,
      cachedInputUsdPerMillion: 0.5,
    },
    {
      provider: 'openai',
      model: 'o4-mini',
      inputUsdPerMillion: 1.1,
      outputUsdPerMillion: 4.4,
      cachedInputUsdPerMillion: 0.275,
    },
    { provider: 'openai', model: 'text-embedding-3-small', inputUsdPerMillion: 0.02, outputUsdPerMillion: 0 },
    { provider: 'openai', model: 'text-embedding-3-large', inputUsdPerMillion: 0.13, outputUsdPerMillion: 0 },
    {
      provider: 'anthropic',
      model: 'claude-opus-4-5',
      inputUsdPerMillion: 5,
      outputUsdPerMillion: 25,
      cachedInputUsdPerMillion: 0.5,
    },
    {
      provider: 'anthropic',
      model: 'claude-opus-4-1',
      inputUsdPerMillion: 15,
      outputUsdPerMillion: 75,
      cachedInputUsdPerMillion: 1.5,
    },
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      inputUsdPerMillion: 3,
      outputUsdPerMillion: 15,
      cachedInputUsdPerMillion: 0.3,
    },
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      inputUsdPerMillion: 3,
      outputUsdPerMillion: 15,
      cachedInputUsdPerMillion: 0.3,
    },
    {
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      inputUsdPerMillion: 1,
      outputUsdPerMillion: 5,
      cachedInputUsdPerMillion: 0.1,
    },
    {
      provider: 'anthropic',
      model: 'claude-3-5-haiku',
      inputUsdPerMillion: 0.8,
      outputUsdPerMillion: 4,
      cachedInputUsdPerMillion: 0.08,
    },
    { provider: 'gcp.gemini', model: 'gemini-2.5-pro', inputUsdPerMillion: 1.25, outputUsdPerMillion: 10 },
    { provider: 'gcp.gemini', model: 'gemini-2.5-flash', inputUsdPerMillion: 0.3, outputUsdPerMillion: 2.5 },
    {
      provider: 'gcp.gemini',
      model: 'gemini-2.5-flash-lite',
      inputUsdPerMillion: 0.1,
      outputUsdPerMillion: 0.4,
    },
    { provider: 'gcp.gemini', model: 'gemini-2.0-flash', inputUsdPerMillion: 0.1, outputUsdPerMillion: 0.4 },
  ],
};

/** Parses a user-supplied price table, reporting every problem with its path. */
export function parsePriceTable(input: unknown): Validation<PriceTable> {
  const parsed = validateWith(PriceTableSchema, input);
  if (!parsed.ok) return parsed;
  const seen = new Set<string>();
  const problems = [];
  for (const [index, entry] of parsed.value.models.entries()) {
    const key = `${entry.provider}/${entry.model}`;
    if (seen.has(key)) problems.push({ path: `models[${index}]`, message: `${key} is listed twice` });
    seen.add(key);
  }
  return problems.length === 0 ? parsed : { ok: false, problems };
}

/**
 * The base table with `overrides` applied: an override replaces the base entry of the same
 * provider and model, or adds one; the later effective date wins.
 */
export function mergePriceTables(base: PriceTable, overrides: PriceTable): PriceTable {
  const byKey = new Map(base.models.map((entry) => [`${entry.provider}/${entry.model}`, entry]));
  for (const entry of overrides.models) byKey.set(`${entry.provider}/${entry.model}`, entry);
  return {
    effectiveDate:
      overrides.effectiveDate > base.effectiveDate ? overrides.effectiveDate : base.effectiveDate,
    models: [...byKey.values()],
  };
}

/**
 * Snapshot suffixes that name the same model at the same price: dates (`-2024-08-06`,
 * `-20250929`), `-latest`, numbered revisions (`-001`).
 */
const SNAPSHOT_SUFFIX = /^-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest|\d{3})$/;

/**
 * The price of a model: the exact id, else the entry whose id the model extends by a snapshot
 * suffix (`gpt-4o-mini-2024-07-18` is `gpt-4o-mini`, not `gpt-4o`). Undefined when unpriced.
 */
export function findModelPrice(table: PriceTable, provider: string, model: string): ModelPrice | undefined {
  const id = model.toLowerCase();
  let best: ModelPrice | undefined;
  for (const entry of table.models) {
    if (entry.provider !== provider) continue;
    if (entry.model === id) return entry;
    if (id.startsWith(entry.model) && SNAPSHOT_SUFFIX.test(id.slice(entry.model.length))) {
      if (best === undefined || entry.model.length > best.model.length) best = entry;
    }
  }
  return best;
}

export interface TokenUsage {
  /** All input tokens, cached ones included (as providers report `input_tokens`). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The part of `inputTokens` served from the prompt cache. */
  readonly cachedInputTokens?: number;
}

/** Cost of one call in USD. Token counts must be non-negative integers. */
export function computeAiCostUsd(usage: TokenUsage, price: ModelPrice): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const cachedPrice = price.cachedInputUsdPerMillion ?? price.inputUsdPerMillion;
  return (
    (uncached * price.inputUsdPerMillion +
      cached * cachedPrice +
      usage.outputTokens * price.outputUsdPerMillion) /
    1e6
  );
}
