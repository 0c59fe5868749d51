import { STATUS_PAGE_SCRIPT } from './status-page-script.ts';

/**
 * Escapes text for HTML element content and double-quoted attribute values: `& < > " '`. Everything the status page
 * shows that did not come from this file goes through it.
 *
 * @example
 * escapeHtml('<b>"x"</b>'); // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The drift summary as the page shows it (or why it could not be computed). */
export type DriftView =
  | {
      readonly ok: true;
      readonly action: string;
      readonly reason: string;
      readonly adminToken: string;
      readonly population: number;
      readonly examined: number;
      readonly totals: Readonly<Record<string, number>>;
      readonly generatedAt: string;
      readonly ageSeconds: number;
    }
  | { readonly ok: false; readonly message: string };

/** One step of the current run: from its plan, with what the journal says of it. */
export interface StepView {
  readonly stepId: string;
  readonly kind: string;
  readonly description: string;
  /** pending (not started yet), started, finished, failed. */
  readonly state: string;
  readonly error: string | undefined;
}

export interface RunSummaryView {
  readonly id: string;
  readonly mode: string;
  readonly state: string;
  readonly rollback: string | undefined;
  readonly createdAt: string;
  readonly holder: string;
}

export interface CurrentRunView extends RunSummaryView {
  readonly steps: readonly StepView[];
  readonly rollbackSteps: readonly StepView[];
  readonly error: string | undefined;
  /** True while the run or its rollback is still running: the page subscribes to its events. */
  readonly live: boolean;
}

export interface StatusPageModel {
  readonly environment: string;
  readonly protected: boolean;
  readonly tokenName: string;
  readonly drift: DriftView;
  readonly runs: readonly RunSummaryView[];
  readonly current: CurrentRunView | undefined;
  readonly now: string;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7}
header{background:#1d2327;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}
main{padding:16px 24px;display:grid;gap:16px;max-width:1100px}
section{background:#fff;border:1px solid #dcdcde;border-radius:6px;padding:12px 16px}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f1;vertical-align:top}
.state{font-weight:600;text-transform:lowercase}
.state-finished,.state-rolled-back,.state-valid{color:#00753a}
.state-failed,.state-rollback-failed{color:#b32d2e}
.state-running,.state-started{color:#996800}
.state-pending{color:#787c82}
.badge{border-radius:3px;padding:1px 6px;background:#b32d2e;color:#fff;font-size:12px}
#progress{color:#50575e;font-family:ui-monospace,monospace;min-height:1.4em}
form{display:flex;gap:8px;align-items:center}
input[type=password]{width:28em;padding:4px}
`;

function stateSpan(state: string, attributes = ''): string {
  return `<span class="state state-${escapeHtml(state)}"${attributes}>${escapeHtml(state)}</span>`;
}

function renderDrift(drift: DriftView): string {
  if (!drift.ok) return `<section id="drift"><h2>Drift</h2><p class="state state-failed">The doctor could not run: ${escapeHtml(drift.message)}</p></section>`;
  const counts = Object.entries(drift.totals)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `<tr><td>${escapeHtml(name)}</td><td data-class="${escapeHtml(name)}">${escapeHtml(n)}</td></tr>`)
    .join('');
  return `<section id="drift"><h2>Drift</h2>
<p>Recommendation: <strong id="drift-action">${escapeHtml(drift.action)}</strong> — ${escapeHtml(drift.reason)}</p>
<p>${escapeHtml(drift.examined)} of ${escapeHtml(drift.population)} stored credentials checked; admin token ${stateSpan(drift.adminToken === 'valid' ? 'valid' : drift.adminToken)}; computed ${escapeHtml(drift.generatedAt)} (${escapeHtml(drift.ageSeconds)} s ago).</p>
<table id="drift-counts"><thead><tr><th>class</th><th>rows</th></tr></thead><tbody>${counts || '<tr><td colspan="2">no stored credentials</td></tr>'}</tbody></table>
</section>`;
}

function renderSteps(id: string, steps: readonly StepView[]): string {
  const rows = steps
    .map(
      (s) =>
        `<li data-step-id="${escapeHtml(s.stepId)}">${stateSpan(s.state, ' data-role="state"')} <code>${escapeHtml(s.stepId)}</code> <span data-role="description">${escapeHtml(s.description)}</span>` +
        `<span data-role="error">${s.error === undefined ? '' : ` — ${escapeHtml(s.error)}`}</span></li>`,
    )
    .join('');
  return `<ol id="${escapeHtml(id)}">${rows}</ol>`;
}

function renderCurrent(current: CurrentRunView | undefined): string {
  if (current === undefined) {
    return '<section id="current" data-run-id="" data-live="false"><h2>Current run</h2><p id="current-empty">No runs yet. Start one with POST /v1/plans and POST /v1/runs.</p>' +
      '<p>Run <code id="run-id"></code>: <span id="run-state" class="state"></span> <span id="rollback-state" class="state"></span></p><p id="run-error"></p>' +
      '<ol id="steps"></ol><ol id="rollback-steps"></ol><p id="progress"></p></section>';
  }
  return `<section id="current" data-run-id="${escapeHtml(current.id)}" data-live="${current.live}"><h2>Current run</h2>
<p>Run <code id="run-id">${escapeHtml(current.id)}</code> (${escapeHtml(current.mode)}, started ${escapeHtml(current.createdAt)} by ${escapeHtml(current.holder)}):
${stateSpan(current.state, ' id="run-state"')} <span id="rollback-state" class="state${current.rollback === undefined ? '' : ` state-${escapeHtml(current.rollback)}`}">${current.rollback === undefined ? '' : `rollback ${escapeHtml(current.rollback)}`}</span></p>
<p id="run-error">${current.error === undefined ? '' : escapeHtml(current.error)}</p>
${renderSteps('steps', current.steps)}
${current.rollbackSteps.length > 0 ? '<h2>Rollback</h2>' : ''}${renderSteps('rollback-steps', current.rollbackSteps)}
<p id="progress"></p>
</section>`;
}

function renderRuns(runs: readonly RunSummaryView[]): string {
  const rows = runs
    .map(
      (r) =>
        `<tr data-run-id="${escapeHtml(r.id)}"><td><code>${escapeHtml(r.id)}</code></td><td>${escapeHtml(r.mode)}</td><td data-role="state">${stateSpan(r.state)}</td>` +
        `<td data-role="rollback">${r.rollback === undefined ? '' : stateSpan(r.rollback)}</td><td>${escapeHtml(r.createdAt)}</td></tr>`,
    )
    .join('');
  return `<section id="runs"><h2>Last runs</h2><table><thead><tr><th>run</th><th>mode</th><th>state</th><th>rollback</th><th>started</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5">none</td></tr>'}</tbody></table></section>`;
}

/**
 * The status page: drift summary, current (most recent) run with its steps, last runs. Server-rendered; the one
 * inline script (allowed by `nonce` under a strict CSP) follows the current run live over its event stream and
 * picks up newer runs. Every value is escaped.
 *
 * @example
 * const html = renderStatusPage(model, { nonce: randomBytes(16).toString('base64') });
 */
export function renderStatusPage(model: StatusPageModel, options: { nonce: string }): string {
  const nonce = escapeHtml(options.nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>matrix-reset: ${escapeHtml(model.environment)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><header><h1>matrix-reset — <span id="environment">${escapeHtml(model.environment)}</span></h1>${model.protected ? '<span class="badge">protected</span>' : ''}
<span>signed in as ${escapeHtml(model.tokenName)}</span><span>page rendered ${escapeHtml(model.now)}</span></header>
<main>${renderDrift(model.drift)}${renderCurrent(model.current)}${renderRuns(model.runs)}</main>
<script nonce="${nonce}">${STATUS_PAGE_SCRIPT}</script>
</body></html>
`;
}

/**
 * The page served while a dependency the status page reads is down (503, e.g. the app database that holds the
 * runs): what is wrong, in words fit for the browser, and a reload every `retryAfterSeconds`.
 *
 * @example
 * const html = renderUnavailablePage({ nonce, environment: 'dev', message: 'The app database is unavailable (ECONNREFUSED)', retryAfterSeconds: 2 });
 */
export function renderUnavailablePage(options: { nonce: string; environment: string; message: string; retryAfterSeconds: number }): string {
  const nonce = escapeHtml(options.nonce);
  const seconds = Math.max(1, Math.round(options.retryAfterSeconds));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${seconds}">
<title>matrix-reset: ${escapeHtml(options.environment)} (unavailable)</title><style nonce="${nonce}">${STYLE}</style></head>
<body><header><h1>matrix-reset — <span id="environment">${escapeHtml(options.environment)}</span></h1></header>
<main><section id="unavailable"><h2>Unavailable</h2>
<p class="state state-failed">${escapeHtml(options.message)}.</p>
<p>The runs and the drift summary cannot be read until it answers again. This page reloads every ${seconds} s; GET /readyz/local says whether this instance reaches its database.</p>
</section></main></body></html>
`;
}

/**
 * The page an unauthenticated visitor gets: a form posting a token to `POST /session` (which sets the session cookie
 * and redirects back here).
 *
 * @example
 * const html = renderLoginPage({ nonce, message: 'The session expired' });
 */
export function renderLoginPage(options: { nonce: string; message?: string }): string {
  const nonce = escapeHtml(options.nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>matrix-reset: sign in</title><style nonce="${nonce}">${STYLE}</style></head>
<body><header><h1>matrix-reset</h1></header>
<main><section id="login"><h2>Sign in</h2>
${options.message === undefined ? '' : `<p class="state state-failed">${escapeHtml(options.message)}</p>`}
<p>Paste a service token with the <code>read</code> scope. The browser keeps only a signed session cookie that can read, never change anything.</p>
<form method="post" action="/session"><label for="token">Token</label><input id="token" name="token" type="password" autocomplete="off" required><button type="submit">Sign in</button></form>
</section></main></body></html>
`;
}
