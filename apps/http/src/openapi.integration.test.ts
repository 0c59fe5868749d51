import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { call, startServiceFixture, type ServiceFixture } from './test-support/service-fixture.ts';

let fixture: ServiceFixture;

beforeAll(async () => {
  fixture = await startServiceFixture();
});

afterAll(async () => {
  await fixture?.close();
});

/** Served but not API: a browser asset of the status page. Anything else the app serves must be documented. */
const NOT_API = new Set(['get /favicon.ico']);

type Document = { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document that the 3.1 schema validates, without auth', async () => {
    const response = await call(fixture, '/openapi.json');
    expect(response.status).toBe(200);
    const document = response.json() as Document;
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route the app serves, with its method', async () => {
    const document = (await call(fixture, '/openapi.json')).json() as Document;
    const app = createApp(fixture.service.context);
    const served = app.routes
      .filter((route) => route.method !== 'ALL' && route.path !== '/openapi.json')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .filter((route) => !NOT_API.has(route));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(served.length).toBeGreaterThanOrEqual(8);
    for (const route of served) expect(documented, `${route} is not in /openapi.json`).toContain(route);
  });

  it('declares bearer security and the common error shape on authenticated routes', async () => {
    const document = (await call(fixture, '/openapi.json')).json() as Document;
    const ensure = document.paths['/v1/users/{appUserId}/matrix-credentials']?.post;
    expect(ensure?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(ensure?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '413', '429', '503']));
    expect(document.paths['/v1/drift']?.get?.security).toEqual([{ bearer: [] }, { session: [] }]);
  });

  it('documents the run list cursor: the cursor query parameter and nextCursor in the answer', async () => {
    const document = (await call(fixture, '/openapi.json')).json() as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const list = document.paths['/v1/runs']?.get;
    expect(list?.parameters?.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor']));
    expect(Object.keys(document.components.schemas.RunList?.properties ?? {})).toEqual(['runs', 'nextCursor']);
    expect(document.components.schemas.RunList?.required).toEqual(expect.arrayContaining(['runs', 'nextCursor']));
  });
});
