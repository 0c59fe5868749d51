import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPOSITE_CALLS, ENDPOINTS } from './endpoint-inventory.ts';
import { TABLE_MARKERS, withEndpointTable } from './endpoint-table.ts';
import { createSynapseClient } from './synapse-client.ts';

/** Every method reachable from a client: its own, and those of the API objects it holds (`admin`, `admin.media`, ...), as dotted paths. */
function clientMethods(target: object, prefix = '', seen = new Set<object>()): string[] {
  if (seen.has(target)) return [];
  seen.add(target);
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(target) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function') names.push(`${prefix}${name}`);
    }
  }
  for (const [name, value] of Object.entries(target)) {
    if (typeof value === 'object' && value !== null) names.push(...clientMethods(value as object, `${prefix}${name}.`, seen));
  }
  return names;
}

const client = createSynapseClient({ baseUrl: 'http://127.0.0.1:8008' });

describe('the endpoint inventory', () => {
  it('names a client method for every entry', () => {
    const methods = new Set(clientMethods(client));
    expect(ENDPOINTS.map((e) => e.call).filter((call) => !methods.has(call))).toEqual([]);
  });

  it('has an entry for every client method that calls an endpoint', () => {
    const listed = new Set([...ENDPOINTS.map((e) => e.call), ...COMPOSITE_CALLS]);
    expect(clientMethods(client).filter((name) => !listed.has(name))).toEqual([]);
  });

  it('lists each method once, with a route in the documented shape', () => {
    const calls = ENDPOINTS.map((e) => e.call);
    expect(calls.length).toBe(new Set(calls).size);
    for (const e of ENDPOINTS) expect(e.route).toMatch(/^\/_(synapse\/admin|matrix\/client|matrix\/media)\/(v\d+|unstable|r0)\/[a-zA-Z0-9_./{}-]+$/);
  });

  it('is the table in the README (regenerate it with node src/write-endpoint-table.ts)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(TABLE_MARKERS.start);
    expect(withEndpointTable(readme)).toBe(readme);
  });
});
