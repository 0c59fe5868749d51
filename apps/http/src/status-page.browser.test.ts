import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './test-support/service-fixture.ts';
import { holdRowLock, plantRunSandbox, type RunSandbox } from './test-support/run-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';

async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser (it installs Debian's chromium with apt-get), then run the tests again`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

describe('the status page in headless Chromium', () => {
  let sandbox: RunSandbox;
  let browser: Browser;
  beforeAll(async () => {
    [sandbox, browser] = await Promise.all([plantRunSandbox(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('signs in through the form, shows the drift, follows a run live to its end, and shows it finished after a reload', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const url = sandbox.first.url;

    // An unauthenticated visitor gets the sign-in form; the form posts the token and comes back signed in.
    const first = await page.goto(`${url}/`);
    expect(first?.headers()['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
    await page.fill('#token', sandbox.tokens.ops);
    await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
    await page.locator('#drift-action').waitFor();
    expect(await page.locator('#drift-action').textContent()).toBe('repair');
    expect(await page.locator('#drift-counts [data-class=valid]').textContent()).toBe('1');
    expect(await page.locator('#drift-counts [data-class=unknown_token]').textContent()).toBe('1');
    expect(await page.locator('#drift-counts [data-class=missing_user]').textContent()).toBe('1');
    expect(await page.locator('#current-empty').count()).toBe(1);
    // The session cookie never holds the token.
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).toContain('mr_session');
    for (const cookie of cookies) expect(cookie.value).not.toContain(sandbox.tokens.ops);
    // Marks this document: still there at the end means the page never reloaded.
    await page.evaluate('window.loadedOnce = true');

    // A run that stops at its clear step (a row lock held by the test) while the page watches.
    const plan = await call(sandbox.first, '/v1/plans', { token: sandbox.tokens.runner, json: { mode: 'repair' } });
    expect(plan.status, plan.text).toBe(201);
    const { planId, steps } = plan.json() as { planId: string; steps: { id: string }[] };
    const rowLock = await holdRowLock(sandbox.schema, sandbox.rows.gone);
    let runId: string;
    try {
      const started = await call(sandbox.first, '/v1/runs', { token: sandbox.tokens.runner, json: { planId } });
      expect(started.status, started.text).toBe(202);
      runId = (started.json() as { runId: string }).runId;

      // The page finds the new run by itself and shows it in progress: two steps done, the third under way.
      await page.locator(`#current[data-run-id="${runId}"]`).waitFor({ timeout: 10_000 });
      const stepState = (id: string) => page.locator(`#steps li[data-step-id="${id}"] [data-role=state]`);
      await expect.poll(() => stepState(steps[2]!.id).textContent(), { timeout: 10_000 }).toBe('started');
      expect(await stepState(steps[0]!.id).textContent()).toBe('finished');
      expect(await stepState(steps[1]!.id).textContent()).toBe('finished');
      expect(await page.locator('#run-state').textContent()).toBe('running');
      expect(await page.locator('#current').getAttribute('data-live')).toBe('true');
      // The latest progress message of the run (it executes on this instance) reached the late subscriber.
      await expect.poll(() => page.locator('#progress').textContent()).toContain(steps[2]!.id);
      // The step still to come is listed from the stored plan.
      await expect.poll(() => stepState(steps[3]!.id).textContent()).toBe('pending');
    } finally {
      await rowLock.release();
    }

    // Released: the same page (no reload) follows the run to its end.
    await expect.poll(() => page.locator('#run-state').textContent(), { timeout: 20_000 }).toBe('finished');
    for (const step of steps) expect(await page.locator(`#steps li[data-step-id="${step.id}"] [data-role=state]`).textContent()).toBe('finished');
    await expect.poll(() => page.locator('#current').getAttribute('data-live')).toBe('false');
    expect(await page.locator(`#runs tr[data-run-id="${runId}"] [data-role=state]`).textContent()).toBe('finished');
    expect(await page.evaluate('window.loadedOnce')).toBe(true);

    // A fresh load renders the finished run on the server: every step finished, drift as it was computed.
    await page.reload();
    expect(await page.locator('#current').getAttribute('data-run-id')).toBe(runId);
    expect(await page.locator('#run-state').textContent()).toBe('finished');
    expect(await page.locator('#steps li [data-role=state]').allTextContents()).toEqual(steps.map(() => 'finished'));
    expect(await page.locator('#current').getAttribute('data-live')).toBe('false');
    expect(await page.locator('#drift-action').textContent()).toBe('repair');
    expect(problems).toEqual([]);

    const html = await page.content();
    for (const secret of [...sandbox.secrets, ...(await sandbox.storedTokens())]) {
      expect(html.includes(secret)).toBe(false);
      expect(sandbox.first.log.all().includes(secret)).toBe(false);
    }
  });

  it('a session cookie cannot change anything: POST /v1/plans with it is refused (403)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sandbox.first.url}/`);
    await page.fill('#token', sandbox.tokens.runner);
    await Promise.all([page.waitForURL(`${sandbox.first.url}/`), page.click('button[type=submit]')]);
    const status = await page.evaluate(async () => {
      const response = await fetch('/v1/plans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return response.status;
    });
    expect(status).toBe(403);
    await context.close();
  });
});
