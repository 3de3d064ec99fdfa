/**
 * Tool names every provider accepts: MCP allows names that OpenAI, Anthropic
 * and Gemini refuse (dots, slashes, spaces, more than 64 characters), so each
 * MCP name becomes `[a-zA-Z0-9_-]{1,64}`. A name already valid is kept; one
 * that had to change and then collides with another, or was cut short, gets
 * a suffix hashed from its full MCP name, so it stays the same across
 * reconnects and list changes whatever order the server lists tools in.
 */
import { fnv1a } from "../core/fnv1a.js";

/** The longest tool name every provider accepts. */
export const MAX_TOOL_NAME = 64;

function withSuffix(base: string, fullName: string): string {
  return `${base.slice(0, MAX_TOOL_NAME - 9)}_${fnv1a(fullName)}`;
}

/**
 * The agent tool names for a server's tool names, in the same order: `prefix_`
 * before each, characters outside `[a-zA-Z0-9_-]` replaced by `_`, at most 64
 * characters, all distinct.
 */
export function agentToolNames(mcpNames: readonly string[], prefix?: string): string[] {
  const full = mcpNames.map((name) => (prefix ? `${prefix}_${name}` : name));
  const candidates = full.map((name) => {
    const safe = name.replace(/[^a-zA-Z0-9_-]/g, "_") || "tool";
    return safe.length > MAX_TOOL_NAME ? withSuffix(safe, name) : safe;
  });
  const taken = new Map<string, number>();
  for (const candidate of candidates) taken.set(candidate, (taken.get(candidate) ?? 0) + 1);
  const names = candidates.map((candidate, i) => {
    // A colliding name keeps its candidate only if it is the one that needed no change.
    if (taken.get(candidate)! > 1 && candidate !== full[i]) return withSuffix(candidate, full[i]!);
    return candidate;
  });
  // Two identical MCP names (a server bug): number the later ones, so the agent's tool list stays valid.
  const seen = new Set<string>();
  return names.map((name, i) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = withSuffix(name, `${full[i]}#${n}`);
    seen.add(unique);
    return unique;
  });
}
