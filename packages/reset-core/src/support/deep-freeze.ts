/**
 * Freezes a value and everything it holds, in place, and returns it: reset-core's reports, observations, configs and
 * plans are immutable values.
 *
 * @example
 * const report = deepFreeze({ totals: { valid: 3 } }); // report.totals is frozen too
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
