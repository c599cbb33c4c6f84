import { describe, expect, it } from 'vitest';
import {
  AI_PRICE_TABLE,
  GEN_AI_PROVIDERS,
  computeAiCostUsd,
  findModelPrice,
  mergePriceTables,
  parsePriceTable,
} from '@pyairtable/conventions';

describe('AI price table', () => {
  it('is valid, dated, and covers the main OpenAI, Anthropic and Google models', () => {
    expect(parsePriceTable(AI_PRICE_TABLE).ok).toBe(true);
    for (const provider of ['openai', 'anthropic', 'gcp.gemini'])
      expect(
        AI_PRICE_TABLE.models.filter((entry) => entry.provider === provider).length,
      ).toBeGreaterThanOrEqual(3);
    for (const entry of AI_PRICE_TABLE.models) expect(GEN_AI_PROVIDERS).toContain(entry.provider);
  });

  it('finds dated snapshots by their base model, preferring the longest base', () => {
    expect(findModelPrice(AI_PRICE_TABLE, 'openai', 'gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(findModelPrice(AI_PRICE_TABLE, 'openai', 'gpt-4o-2024-08-06')?.model).toBe('gpt-4o');
    expect(findModelPrice(AI_PRICE_TABLE, 'anthropic', 'claude-sonnet-4-5-20250929')?.model).toBe(
      'claude-sonnet-4-5',
    );
    expect(findModelPrice(AI_PRICE_TABLE, 'openai', 'GPT-4o')?.model).toBe('gpt-4o');
  });

  it('does not guess: other variants, other providers and unknown models are unpriced', () => {
    expect(findModelPrice(AI_PRICE_TABLE, 'openai', 'gpt-4o-audio-preview')).toBeUndefined();
    expect(findModelPrice(AI_PRICE_TABLE, 'anthropic', 'gpt-4o')).toBeUndefined();
    expect(findModelPrice(AI_PRICE_TABLE, 'openai', 'my-finetune')).toBeUndefined();
  });

  it('computes cost from the per-million prices', () => {
    const price = findModelPrice(AI_PRICE_TABLE, 'openai', 'gpt-4o')!;
    // 1,000 input at $2.50/M + 500 output at $10/M = $0.0025 + $0.005.
    expect(computeAiCostUsd({ inputTokens: 1000, outputTokens: 500 }, price)).toBeCloseTo(0.0075, 12);
    // 400 of the 1,000 input tokens cached at $1.25/M: 600 * 2.5 + 400 * 1.25 + 500 * 10, per million.
    expect(
      computeAiCostUsd({ inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400 }, price),
    ).toBeCloseTo((600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6, 12);
    const sonnet = findModelPrice(AI_PRICE_TABLE, 'anthropic', 'claude-sonnet-4-5')!;
    expect(computeAiCostUsd({ inputTokens: 1_000_000, outputTokens: 1_000_000 }, sonnet)).toBeCloseTo(18, 9);
  });

  it('bills cached tokens at the input price when the model has no cache price', () => {
    const flash = findModelPrice(AI_PRICE_TABLE, 'gcp.gemini', 'gemini-2.5-flash')!;
    expect(
      computeAiCostUsd({ inputTokens: 1000, outputTokens: 0, cachedInputTokens: 1000 }, flash),
    ).toBeCloseTo(0.0003, 12);
  });

  it('lets a user override and extend the table', () => {
    const merged = mergePriceTables(AI_PRICE_TABLE, {
      effectiveDate: '2026-11-01',
      models: [
        { provider: 'openai', model: 'gpt-4o', inputUsdPerMillion: 2, outputUsdPerMillion: 8 },
        { provider: '_OTHER', model: 'in-house-7b', inputUsdPerMillion: 0.01, outputUsdPerMillion: 0.02 },
      ],
    });
    expect(merged.effectiveDate).toBe('2026-11-01');
    expect(findModelPrice(merged, 'openai', 'gpt-4o')?.inputUsdPerMillion).toBe(2);
    expect(findModelPrice(merged, '_OTHER', 'in-house-7b')?.outputUsdPerMillion).toBe(0.02);
    expect(merged.models.length).toBe(AI_PRICE_TABLE.models.length + 1);
  });

  it('reports every problem of a bad override file with its path', () => {
    const result = parsePriceTable({
      effectiveDate: 'last tuesday',
      models: [
        { provider: 'openai', model: 'gpt-4o', inputUsdPerMillion: -1, outputUsdPerMillion: 10 },
        { provider: 'acme', model: 'x', inputUsdPerMillion: 1, outputUsdPerMillion: 1, note: 'hi' },
      ],
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((problem) => problem.path).sort()).toEqual([
        'effectiveDate',
        'models[0].inputUsdPerMillion',
        'models[1].note',
        'models[1].provider',
      ]);
  });

  it('rejects a model listed twice', () => {
    const entry = { provider: 'openai', model: 'gpt-4o', inputUsdPerMillion: 1, outputUsdPerMillion: 1 };
    const result = parsePriceTable({ effectiveDate: '2026-01-01', models: [entry, entry] });
    expect(result).toEqual({
      ok: false,
      problems: [{ path: 'models[1]', message: 'openai/gpt-4o is listed twice' }],
    });
  });
});
