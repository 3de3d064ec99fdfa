/**
 * Token counts to {@link Usage}: the total and the cost in dollars from the
 * model's prices per million tokens. Every adapter prices usage this way.
 */
import type { ModelCost, Usage } from "../src/core/types.js";

/** Token counts as a provider reported them, each already exclusive of the others. */
export type TokenCounts = { input: number; output: number; cacheRead: number; cacheWrite: number };

/** The usage of `tokens` at `cost` (zero cost without prices). */
export function pricedUsage(tokens: TokenCounts, cost: ModelCost | undefined): Usage {
  const { input, output, cacheRead, cacheWrite } = tokens;
  const price = (count: number, perMillion: number | undefined) => (count * (perMillion ?? 0)) / 1_000_000;
  const c = {
    input: price(input, cost?.input),
    output: price(output, cost?.output),
    cacheRead: price(cacheRead, cost?.cacheRead),
    cacheWrite: price(cacheWrite, cost?.cacheWrite),
    total: 0,
  };
  c.total = c.input + c.output + c.cacheRead + c.cacheWrite;
  return { input, output, cacheRead, cacheWrite, totalTokens: input + output + cacheRead + cacheWrite, cost: c };
}
