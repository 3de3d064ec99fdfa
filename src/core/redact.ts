/**
 * The one rule for what counts as a credential, shared by everything that
 * writes state down or sends it away: snapshots (`persistAgent` drops such
 * headers), recordings and the run viewer (values become "[redacted]") and the
 * proxy (values are redacted from every reply). One rule, so a header that one
 * of them hides is hidden by all.
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Header and option names that carry credentials: authorization and
 * proxy-authorization, any `*key*` (api-key, x-api-key, x-goog-api-key,
 * apiKey), `*token*` (x-auth-token), `*secret*`, cookies and passwords.
 * Broad on purpose: hiding a harmless header costs little, leaking a key a lot.
 */
const SECRET_NAME = /auth|key|token|secret|cookie|passw|credential/i;

/** True when a header or option of this name carries a credential (see {@link SECRET_NAME}). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A copy of `headers` with every credential header's value replaced by {@link REDACTED}. */
export function redactHeaders<T>(headers: Record<string, T>): Record<string, T | typeof REDACTED> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value]));
}

/**
 * The values of the credential headers in `headers`, to redact them from
 * texts; for `Bearer <key>`-style values the bare credential too (a server
 * echoing the key quotes it without the scheme).
 */
export function secretHeaderValues(headers: Record<string, unknown> | undefined): string[] {
  return Object.entries(headers ?? {}).flatMap(([name, value]) => {
    if (!isSecretName(name) || typeof value !== "string") return [];
    const credential = /^[A-Za-z][\w-]* (.+)$/.exec(value)?.[1];
    return credential ? [value, credential] : [value];
  });
}

/**
 * Fields that hold a credential wherever they appear (outside header maps,
 * other names are user data — tool arguments, details — and kept as they are).
 */
const CREDENTIAL_FIELDS = new Set(["apikey", "api_key", "api-key", "x-api-key", "authorization", "proxy-authorization", "cookie", "password"]);

/**
 * The rule applied to one key/value of a structure being written down (a
 * `JSON.stringify` replacer step): a `headers` map loses its credential
 * values, a credential field's string becomes {@link REDACTED}.
 */
export function redactCredentials(key: string, value: unknown): unknown {
  if (key === "headers" && typeof value === "object" && value !== null && !Array.isArray(value)) return redactHeaders(value as Record<string, unknown>);
  if (typeof value === "string" && isCredentialField(key)) return REDACTED;
  return value;
}

/** True when a string under this key is a credential wherever it appears (see {@link redactCredentials}). */
export function isCredentialField(key: string): boolean {
  return CREDENTIAL_FIELDS.has(key.toLowerCase());
}

/** Secrets shorter than this are not searched for in texts: they would mangle ordinary words. */
export const MIN_SECRET_LENGTH = 6;

/** `text` with every occurrence of each secret (of at least {@link MIN_SECRET_LENGTH} characters) replaced by {@link REDACTED}. */
export function redactValues(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) if (secret.length >= MIN_SECRET_LENGTH && text.includes(secret)) text = text.replaceAll(secret, REDACTED);
  return text;
}
