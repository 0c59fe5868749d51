import { describe, expect, it } from 'vitest';
import { defineLayout, openmeetLayout, renderLocalpart, runbookLayout, templatePlaceholders } from './credential-layout.ts';
import { UserCredsError } from './user-creds-error.ts';

const base = {
  name: 'app',
  table: 'users',
  keyColumn: 'id',
  columns: { userId: 'mx_user', accessToken: 'mx_token', deviceId: 'mx_device' },
};

describe('credential layouts', () => {
  it('the runbook preset is the single public "user" table with snake_case columns', () => {
    const layout = runbookLayout();
    expect(layout.schemas).toEqual({ like: [], names: ['public'] });
    expect(layout.table).toBe('user');
    expect(layout.columns).toEqual({ userId: 'matrix_user_id', accessToken: 'matrix_access_token', deviceId: 'matrix_device_id' });
  });

  it('the openmeet preset covers tenant_% and public, camelCase columns, preferences.matrix and room columns', () => {
    const layout = openmeetLayout();
    expect(layout.schemas).toEqual({ like: ['tenant_%'], names: ['public'] });
    expect(layout.columns.accessToken).toBe('matrixAccessToken');
    expect(layout.jsonbKeys).toEqual([{ column: 'preferences', key: 'matrix' }]);
    expect(layout.relatedRoomColumns.map((r) => `${r.table}.${r.column}`)).toEqual(['events.matrixRoomId', 'groups.matrixRoomId']);
    expect(layout.localpartTemplate).toBe('{slug}_{tenant}');
  });

  it('a layout is frozen', () => {
    expect(Object.isFrozen(defineLayout(base))).toBe(true);
    expect(Object.isFrozen(defineLayout(base).columns)).toBe(true);
  });

  it('rejects an empty column name with invalid_layout and an example', () => {
    const attempt = () => defineLayout({ ...base, columns: { ...base.columns, accessToken: '' } });
    expect(attempt).toThrow(UserCredsError);
    try {
      attempt();
    } catch (error) {
      expect((error as UserCredsError).code).toBe('invalid_layout');
      expect((error as UserCredsError).message).toContain('columns.accessToken');
      expect((error as UserCredsError).nextSteps[0]).toContain('defineLayout(');
    }
  });

  it('rejects a column named twice', () => {
    expect(() => defineLayout({ ...base, extraClearColumns: ['mx_token'] })).toThrow(/named twice/);
  });

  it('rejects a schema selector that selects nothing', () => {
    expect(() => defineLayout({ ...base, schemas: { like: [], names: [] } })).toThrow(/selects nothing/);
  });

  it('rejects a localpart template with unbalanced braces', () => {
    expect(() => defineLayout({ ...base, localpartTemplate: '{slug_{tenant}' })).toThrow(/localpartTemplate/);
  });

  it('lists template placeholders in order', () => {
    expect(templatePlaceholders('{slug}_{tenant}')).toEqual(['slug', 'tenant']);
  });

  it('renders {tenant} as the schema without its tenant_ prefix, lower-cased', () => {
    expect(renderLocalpart('{slug}_{tenant}', { slug: 'Alice' }, 'tenant_acme')).toBe('alice_acme');
  });

  it('renders nothing when a placeholder column is NULL', () => {
    expect(renderLocalpart('{slug}_{schema}', { slug: null }, 'public')).toBeUndefined();
  });
});
