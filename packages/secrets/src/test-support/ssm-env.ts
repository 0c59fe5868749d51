import { randomBytes } from 'node:crypto';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run these tests with \`npx nx test @matrix-reset/secrets\` (the sandbox global setup exports it)`);
  }
  return value;
}

/** An SSMClient on the sandbox's moto, from the variables the sandbox exports. */
export function sandboxSsmClient(overrides: Partial<SSMClientConfig> = {}): SSMClient {
  return new SSMClient({
    endpoint: required('AWS_ENDPOINT_URL_SSM'),
    region: required('AWS_REGION'),
    credentials: { accessKeyId: required('AWS_ACCESS_KEY_ID'), secretAccessKey: required('AWS_SECRET_ACCESS_KEY') },
    ...overrides,
  });
}

export function sandboxSsmEndpoint(): string {
  return required('AWS_ENDPOINT_URL_SSM');
}

/** A parameter name no other test uses. */
export function uniqueParameterName(): string {
  return `/matrix-reset-test/${randomBytes(6).toString('hex')}/admin-token`;
}
