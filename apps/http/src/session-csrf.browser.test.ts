import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceFixture, type ServiceFixture } from './test-support/service-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('login CSRF in headless Chromium', () => {
  let fixture: ServiceFixture;
  let browser: Browser;
  let evil: Server;
  let evilUrl = '';
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser, then run the tests again`);
    [fixture, browser] = await Promise.all([
      startServiceFixture(),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'] }),
    ]);
    // Another site (localhost is not 127.0.0.1) whose page posts the attacker's token to the service's login.
    evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<form id="f" method="post" action="${fixture.url}/session"><input name="token" value="${fixture.tokens.ops}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await fixture?.close();
  });

  it("another site's auto-submitting form gets 403 cross_site_request and the browser holds no session cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const answered = page.waitForResponse((response) => response.url() === `${fixture.url}/session`);
    await page.goto(evilUrl);
    const response = await answered;
    expect(response.status()).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
    expect((await context.cookies(fixture.url)).map((c) => c.name)).not.toContain('mr_session');
    await context.close();
  });

  it("the service's own sign-in form still logs in", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fixture.url}/`);
    await page.fill('#token', fixture.tokens.ops);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${fixture.url}/session`), page.click('button[type=submit]')]);
    expect(response.status()).toBe(303);
    expect((await context.cookies(fixture.url)).map((c) => c.name)).toContain('mr_session');
    await context.close();
  });
});
