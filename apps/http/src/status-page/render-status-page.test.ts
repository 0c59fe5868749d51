import { describe, expect, it } from 'vitest';
import { escapeHtml, renderLoginPage, renderStatusPage, type StatusPageModel } from './render-status-page.ts';

const evil = `<script>alert("x")</script>' onmouseover='boom`;

function model(overrides: Partial<StatusPageModel> = {}): StatusPageModel {
  return {
    environment: 'dev',
    protected: false,
    tokenName: 'ops',
    drift: { ok: true, action: 'repair', reason: 'some tokens died', adminToken: 'valid', population: 3, examined: 3, totals: { valid: 1, unknown_token: 2 }, generatedAt: '2026-01-01T00:00:00.000Z', ageSeconds: 5 },
    runs: [],
    current: undefined,
    now: '2026-01-01T00:00:05.000Z',
    ...overrides,
  };
}

describe('escapeHtml', () => {
  it('escapes the five characters that can open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('renderStatusPage', () => {
  it('escapes every value that came from outside: environment, token name, drift reason, run ids, holders, step errors', () => {
    const html = renderStatusPage(
      model({
        environment: evil,
        tokenName: evil,
        drift: { ok: false, message: evil },
        runs: [{ id: evil, mode: evil, state: 'failed', rollback: undefined, createdAt: evil, holder: evil }],
        current: {
          id: evil,
          mode: 'repair',
          state: 'failed',
          rollback: evil,
          createdAt: 'now',
          holder: evil,
          steps: [{ stepId: evil, kind: 'verify', description: evil, state: 'failed', error: evil }],
          rollbackSteps: [],
          error: evil,
          live: false,
        },
      }),
      { nonce: 'abc' },
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain(`' onmouseover='`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;boom');
    // The one script is ours, with the nonce.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="abc">');
  });

  it('shows the drift counts that are not zero and the recommendation', () => {
    const html = renderStatusPage(model(), { nonce: 'n' });
    expect(html).toContain('<strong id="drift-action">repair</strong>');
    expect(html).toContain('<td data-class="unknown_token">2</td>');
    expect(html).not.toContain('data-class="expired"');
  });

  it('marks a running run live (the script follows it) and a finished one not', () => {
    const current = { id: 'r1', mode: 'repair', state: 'running', rollback: undefined, createdAt: 'now', holder: 'h', steps: [], rollbackSteps: [], error: undefined, live: true };
    expect(renderStatusPage(model({ current }), { nonce: 'n' })).toContain('data-run-id="r1" data-live="true"');
    expect(renderStatusPage(model({ current: { ...current, state: 'finished', live: false } }), { nonce: 'n' })).toContain('data-run-id="r1" data-live="false"');
  });
});

describe('renderLoginPage', () => {
  it('posts the token to /session in a password field, and escapes its message', () => {
    const html = renderLoginPage({ nonce: 'n', message: evil });
    expect(html).toContain('<form method="post" action="/session">');
    expect(html).toContain('name="token" type="password"');
    expect(html).not.toContain('<script');
  });
});
