/**
 * The fields of a response object that its schema does not name, as Synapse sent them (snake_case, unvalidated):
 * responses keep them under `other` instead of dropping them, so a caller on a newer Synapse still sees a field this
 * version does not know yet. Parse such responses with `z.looseObject(fields)`, which lets the extra keys through.
 *
 * @example
 * ```ts
 * unknownFields({ name: '@a:x', suspended: true }, ['name']); // { suspended: true }
 * ```
 */
export function unknownFields(body: Readonly<Record<string, unknown>>, known: readonly string[]): Readonly<Record<string, unknown>> {
  const names = new Set(known);
  return Object.freeze(Object.fromEntries(Object.entries(body).filter(([key]) => !names.has(key))));
}
