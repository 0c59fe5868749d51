/**
 * What a secret value is shown as in every string this package produces.
 *
 * @example
 * ```ts
 * String(new SecretValue('syt_abc')) === REDACTED; // true
 * ```
 */
export const REDACTED = '[redacted]';

/** Values shorter than this are not scrubbed from text by value (replacing "a" everywhere would mangle messages). */
const MIN_REDACTABLE_LENGTH = 4;

/**
 * A secret value that does not leak by accident: `String()`, template literals, `JSON.stringify`, `util.inspect`
 * and `console.log` all show `[redacted]`. Call `reveal()` where the plaintext is really needed.
 *
 * @example
 * ```ts
 * const token = new SecretValue('syt_abc');
 * `${token}`;       // '[redacted]'
 * token.reveal();   // 'syt_abc'
 * ```
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The plaintext. */
  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  /** Constant-shape comparison with a string or another value. */
  equals(other: string | SecretValue): boolean {
    return this.#value === (typeof other === 'string' ? other : other.reveal());
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecretValue(${REDACTED})`;
  }
}

/**
 * The plaintext of a string or {@link SecretValue}.
 *
 * @example
 * ```ts
 * plaintext(new SecretValue('x')); // 'x'
 * ```
 */
export function plaintext(value: string | SecretValue): string {
  return typeof value === 'string' ? value : value.reveal();
}

/**
 * Replaces every occurrence of the given values (strings or {@link SecretValue}s, 4+ characters) in `text`.
 *
 * @example
 * ```ts
 * redactValues('token hunter22 rejected', ['hunter22']); // 'token [redacted] rejected'
 * ```
 */
export function redactValues(text: string, values: Iterable<string | SecretValue | undefined>): string {
  let out = text;
  for (const value of values) {
    if (value === undefined) continue;
    const raw = plaintext(value);
    if (raw.length >= MIN_REDACTABLE_LENGTH) out = out.split(raw).join(REDACTED);
  }
  return out;
}

/**
 * A scrubbed copy of a thrown value, safe to keep as an error `cause`: name, message, stack and `code`, with the
 * given values redacted, never the original object (SDK errors carry request and response objects).
 *
 * @example
 * ```ts
 * const safe = scrubbedCause(new Error('bad value hunter22'), ['hunter22']);
 * safe.message; // 'bad value [redacted]'
 * ```
 */
export function scrubbedCause(error: unknown, values: readonly (string | SecretValue | undefined)[]): Error {
  if (!(error instanceof Error)) return new Error(redactValues(String(error), values));
  const copy = new Error(redactValues(error.message, values));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : redactValues(error.stack, values);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}
