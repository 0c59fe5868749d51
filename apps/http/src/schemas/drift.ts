import { z } from '@hono/zod-openapi';
import { CREDENTIAL_CLASSES } from '@matrix-reset/reset-core';

// The body of GET /v1/drift (routes/drift.ts), named in the OpenAPI document.

const counts = z.object(Object.fromEntries(CREDENTIAL_CLASSES.map((name) => [name, z.number().int()]))).openapi('ClassCounts');

export const driftSchema = z
  .object({
    environment: z.string(),
    layout: z.string(),
    adminToken: z.enum(['valid', 'absent', 'invalid', 'not_admin', 'unchecked']),
    population: z.number().int(),
    examined: z.number().int(),
    totals: counts,
    schemas: z.array(z.object({ schema: z.string(), examined: z.number().int(), counts })),
    recommendation: z.object({
      action: z.enum(['nothing', 'repair', 'full-reset', 'restore-admin', 'inconclusive']),
      reason: z.string(),
      evidence: z.object({
        checked: z.number().int(),
        valid: z.number().int(),
        broken: z.number().int(),
        missingUser: z.number().int(),
        unchecked: z.number().int(),
        validPercent: z.number(),
        brokenPercent: z.number(),
        missingUserPercent: z.number(),
      }),
    }),
    findingsTotal: z.number().int(),
    evidence: z
      .object({ source: z.enum(['database', 'api']), reason: z.string(), schemaVersion: z.number().int().optional() })
      .openapi({ description: "Where the verdicts came from: Synapse's database (its tables, no load on it) or its API (whoami per token), and why" }),
    durationMs: z.number(),
    generatedAt: z.string().openapi({ description: 'When doctor finished (ISO 8601)' }),
    ageSeconds: z.number().int().openapi({ description: 'Seconds since generatedAt' }),
  })
  .openapi('Drift');

/** `GET /v1/drift?refresh=`. */
export const driftQuery = z.object({
  refresh: z.enum(['true', 'false']).optional().openapi({ description: 'true: recompute now' }),
  evidence: z.enum(['auto', 'database', 'api']).optional().openapi({
    description:
      "Where doctor's verdicts come from: database (Synapse's own tables, no load on the homeserver; 422 where this environment has no Synapse database it can read, 503 while that database does not answer), api (whoami per token), auto (default: the database where configured and answering, else the API). Each is cached apart.",
  }),
});
