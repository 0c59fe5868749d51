export { ResetError, isResetError, type ResetErrorCode } from './reset-error.ts';
export * from './reset-config.ts';
export * from './observe.ts';
export * from './doctor.ts';
export * from './ensure-credentials.ts';
export * from './local-bootstrap.ts';
export * from './rbac.ts';
export * from './creds-operations.ts';
export * from './verify.ts';
