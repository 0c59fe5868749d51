import { randomBytes } from 'node:crypto';

/**
 * An id for a plan (`p`) or a run (`r`): the prefix, the UTC time to the second, and 8 hex digits of crypto
 * randomness (4 bytes), so ids made in the same second by several operators or service instances do not collide and
 * still sort by time when read.
 *
 * @example
 * newId('r'); // 'r20260101t120000_3fa9c2d1'
 */
export function newId(prefix: 'p' | 'r', now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase();
  return `${prefix}${stamp}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh run id (`r` + UTC time + 8 random hex digits): the journal's key and the credential snapshot's run id.
 *
 * @example
 * newRunId(); // 'r20260101t120000_3fa9c2d1'
 */
export function newRunId(now: Date = new Date()): string {
  return newId('r', now);
}

/**
 * A fresh plan id (`p` + UTC time + 8 random hex digits).
 *
 * @example
 * newPlanId(); // 'p20260101t120000_3fa9c2d1'
 */
export function newPlanId(now: Date = new Date()): string {
  return newId('p', now);
}
