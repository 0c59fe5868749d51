import { describe, expect, it } from 'vitest';
import { createServiceLogger } from './logger.ts';
import { CapturedLog } from './test-support/service-fixture.ts';

describe('createServiceLogger', () => {
  it('writes JSON lines with credential headers and token fields redacted', () => {
    const log = new CapturedLog();
    const logger = createServiceLogger({ destination: log });
    logger.info(
      {
        headers: { authorization: 'Bearer mrs_secret_header', cookie: 'mr_session=secret_cookie', accept: 'application/json' },
        token: 'mrs_secret_top',
        result: { accessToken: 'syt_secret_nested', userId: '@alice:matrix.test' },
        config: { sessionSecret: 'secret_session_key' },
      },
      'something happened',
    );
    const [entry] = log.entries();
    expect(entry).toMatchObject({
      msg: 'something happened',
      service: 'matrix-reset-http',
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' },
      token: '[redacted]',
      result: { accessToken: '[redacted]', userId: '@alice:matrix.test' },
      config: { sessionSecret: '[redacted]' },
    });
    expect(log.all()).not.toMatch(/secret/);
  });
});
