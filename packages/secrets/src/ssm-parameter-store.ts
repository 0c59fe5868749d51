import type { SSMClient } from '@aws-sdk/client-ssm';
import type * as SsmSdk from '@aws-sdk/client-ssm';
import { SecretsError } from './secrets-error.ts';
import { versionConflictError, type SecretReading, type SecretStore, type SecretWriteOptions, type SecretWriteResult } from './secret-store.ts';
import { plaintext, redactValues, scrubbedCause, SecretValue } from './secret-value.ts';

/**
 * An SSM client, or a function that makes one when the store is first used (so a program that never touches an
 * `ssm:` reference never loads the AWS SDK).
 */
export type SsmClientSource = SSMClient | (() => SSMClient | Promise<SSMClient>);

export interface SsmParameterStoreOptions {
  /**
   * Any configured client, or a function returning one (called once, at the first request). Throttling retries are
   * its retry strategy: e.g. `new SSMClient({ maxAttempts: 6 })`.
   */
  client: SsmClientSource;
  name: string;
  /** KMS key for SecureString (default: the account's `alias/aws/ssm`). */
  keyId?: string;
  /** Label moved to each new version (default `current`). */
  currentLabel?: string;
  /** Label moved to the version each write replaces (default `previous`). */
  previousLabel?: string;
  /** Parameter description written with each put. */
  description?: string;
}

/** One entry of a parameter's history (values are never included). */
export interface SsmParameterVersion {
  readonly version: string;
  readonly labels: readonly string[];
  readonly modifiedAt: Date | undefined;
  readonly type: string | undefined;
  readonly keyId: string | undefined;
}

/** An SSM-backed {@link SecretStore}, plus the parameter's history. */
export interface SsmParameterStore extends SecretStore {
  readonly kind: 'ssm';
  readonly name: string;
  /** Every kept version, oldest first, following `NextToken` page by page. */
  history(): AsyncGenerator<SsmParameterVersion>;
}

function checkLabel(label: string): string {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(label) || /^(aws|ssm|\d)/i.test(label)) {
    throw new SecretsError({
      code: 'invalid_request',
      message: `SSM label ${JSON.stringify(label)} is not allowed: 1-100 of letters, digits, _ . -, not starting with aws, ssm or a digit`,
      nextSteps: ["Use labels like 'current' and 'previous'."],
    });
  }
  return label;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

/**
 * Turns an SDK failure into a {@link SecretsError} (message scrubbed of `values`), passing through ours.
 */
function ssmError(error: unknown, reference: string, operation: string, values: readonly (string | SecretValue | undefined)[]): SecretsError {
  if (error instanceof SecretsError) return error;
  const name = errorName(error);
  const detail = redactValues(error instanceof Error ? error.message : String(error), values);
  const base = { reference, cause: scrubbedCause(error, values) };
  switch (name) {
    case 'ParameterNotFound':
    case 'ParameterVersionNotFound':
      return new SecretsError({ ...base, code: 'not_found', message: `${reference}: ${operation} found no such parameter or version (${name})`, nextSteps: ['Check the parameter name and region.'] });
    case 'ParameterMaxVersionLimitExceeded':
      return new SecretsError({
        ...base,
        code: 'version_limit',
        message: `${reference}: ${operation} failed, the parameter has 100 versions and the oldest carries a label (${detail})`,
        nextSteps: [
          'SSM keeps 100 versions and cannot drop a labelled one: move or remove the label on the oldest version (aws ssm unlabel-parameter-version), then retry.',
          'This store moves its labels forward on every write, so the labels are someone else’s.',
        ],
      });
    case 'ThrottlingException':
    case 'TooManyUpdates':
      return new SecretsError({
        ...base,
        code: 'throttled',
        message: `${reference}: ${operation} was throttled by SSM after the client's retries (${name})`,
        nextSteps: ['Retry later, or give the SSMClient more attempts: new SSMClient({ maxAttempts: 8, retryMode: "adaptive" }).'],
      });
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
      return new SecretsError({ ...base, code: 'access_denied', message: `${reference}: ${operation} was denied (${name}: ${detail})`, nextSteps: ['Check the AWS credentials and IAM permissions (ssm:GetParameter, ssm:PutParameter, ssm:LabelParameterVersion, ssm:GetParameterHistory, kms:Decrypt/Encrypt).'] });
    case 'ValidationException':
    case 'InvalidKeyId':
    case 'HierarchyLevelLimitExceededException':
    case 'ParameterLimitExceeded':
      return new SecretsError({ ...base, code: 'invalid_request', message: `${reference}: ${operation} was rejected (${name}: ${detail})`, nextSteps: ['Check the parameter name, KMS key id and value size (4 KB standard, 8 KB advanced).'] });
    default:
      return new SecretsError({ ...base, code: 'store_error', message: `${reference}: ${operation} failed (${name}: ${detail})`, nextSteps: ['Check the SSM endpoint, region and network.'] });
  }
}

/**
 * A SecureString parameter as a {@link SecretStore}: writes only when the value differs (`Overwrite: true`, a new
 * version each time), moves the `current` label to the new version and the `previous` label to the one it
 * replaced — so no label is ever left on an old version and the 101st put never fails — and restores by writing
 * the previous value as a new version (the audit trail keeps all of them).
 *
 * SSM has no compare-and-swap: `expectedVersion` is checked just before the put, and the `current` label is read
 * back after it; protect rotation with your own lock when several writers may race.
 *
 * @example
 * ```ts
 * import { SSMClient } from '@aws-sdk/client-ssm';
 *
 * const store = ssmParameterStore({ client: new SSMClient({ maxAttempts: 6 }), name: '/matrix/admin-token', keyId: 'alias/matrix' });
 * const { changed, version } = await store.write(token);
 * for await (const v of store.history()) console.error(v.version, v.labels);
 * ```
 */
export function ssmParameterStore(options: SsmParameterStoreOptions): SsmParameterStore {
  const { name } = options;
  const source = options.client;
  // The AWS SDK (tens of MB of modules) loads at the first request, not with this package.
  let ready: Promise<{ client: SSMClient; sdk: typeof SsmSdk }> | undefined;
  const connect = () =>
    (ready ??= (async () => ({ client: typeof source === 'function' ? await source() : source, sdk: await import('@aws-sdk/client-ssm') }))().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
  const reference = `ssm:${name}`;
  const currentLabel = checkLabel(options.currentLabel ?? 'current');
  const previousLabel = checkLabel(options.previousLabel ?? 'previous');
  if (currentLabel === previousLabel) throw new SecretsError({ code: 'invalid_request', message: 'currentLabel and previousLabel must differ' });

  async function get(selector: string | undefined, values: readonly (string | SecretValue | undefined)[]): Promise<SecretReading> {
    try {
      const { client, sdk } = await connect();
      const out = await client.send(new sdk.GetParameterCommand({ Name: selector === undefined ? name : `${name}:${selector}`, WithDecryption: true }));
      const parameter = out.Parameter;
      return Object.freeze({
        exists: true,
        value: new SecretValue(parameter?.Value ?? ''),
        version: parameter?.Version === undefined ? undefined : String(parameter.Version),
      });
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound' || errorName(error) === 'ParameterVersionNotFound') {
        return Object.freeze({ exists: false, value: undefined, version: undefined });
      }
      throw ssmError(error, reference, 'GetParameter', values);
    }
  }

  async function label(version: string, labelName: string, values: readonly (string | SecretValue | undefined)[]): Promise<void> {
    try {
      const { client, sdk } = await connect();
      await client.send(new sdk.LabelParameterVersionCommand({ Name: name, ParameterVersion: Number(version), Labels: [labelName] }));
    } catch (error) {
      throw ssmError(error, reference, `LabelParameterVersion ${labelName}`, values);
    }
  }

  async function write(input: string | SecretValue, writeOptions: SecretWriteOptions = {}): Promise<SecretWriteResult> {
    const value = plaintext(input);
    const values = [value];
    const current = await get(undefined, values);
    if (writeOptions.expectedVersion !== undefined && writeOptions.expectedVersion !== current.version) {
      throw versionConflictError(reference, writeOptions.expectedVersion, current.version);
    }
    if (current.exists && current.value?.equals(value)) {
      return Object.freeze({ changed: false, version: current.version ?? '', previousVersion: undefined });
    }
    let version: string;
    try {
      const { client, sdk } = await connect();
      const put = await client.send(
        new sdk.PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'SecureString',
          KeyId: options.keyId,
          Description: options.description,
          Overwrite: true,
        }),
      );
      version = String(put.Version);
    } catch (error) {
      throw ssmError(error, reference, 'PutParameter', [...values, current.value]);
    }
    if (current.version !== undefined) await label(current.version, previousLabel, values);
    await label(version, currentLabel, values);
    const check = await get(currentLabel, values);
    if (check.version !== version) throw versionConflictError(reference, version, check.version);
    return Object.freeze({ changed: true, version, previousVersion: current.version });
  }

  return Object.freeze({
    kind: 'ssm' as const,
    reference,
    name,
    writable: true,
    describe: () => `SSM SecureString ${name}${options.keyId ? ` (KMS ${options.keyId})` : ''}, labels ${currentLabel}/${previousLabel}`,
    read: () => get(undefined, []),
    write,
    readPrevious: () => get(previousLabel, []),
    async restorePrevious(writeOptions: SecretWriteOptions = {}) {
      const previous = await get(previousLabel, []);
      if (!previous.exists || previous.value === undefined) {
        throw new SecretsError({
          code: 'no_previous_version',
          reference,
          message: `${reference} has no version labelled ${previousLabel}: nothing to restore`,
          nextSteps: ['Only values written through this store keep a previous version; pick one from history() and write it explicitly.'],
        });
      }
      return write(previous.value, writeOptions);
    },
    async *history(): AsyncGenerator<SsmParameterVersion> {
      let nextToken: string | undefined;
      do {
        let page;
        try {
          const { client, sdk } = await connect();
          page = await client.send(new sdk.GetParameterHistoryCommand({ Name: name, WithDecryption: false, MaxResults: 50, NextToken: nextToken }));
        } catch (error) {
          throw ssmError(error, reference, 'GetParameterHistory', []);
        }
        for (const p of page.Parameters ?? []) {
          yield Object.freeze({
            version: String(p.Version),
            labels: Object.freeze([...(p.Labels ?? [])]),
            modifiedAt: p.LastModifiedDate,
            type: p.Type,
            keyId: p.KeyId,
          });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    },
    toString: () => `SsmParameterStore(${name})`,
  });
}
