import { describe, expect, it } from 'vitest';
import { SynapseClientError } from '@matrix-reset/synapse-admin';
import { classifyDeadToken, classifyWhoami, foreignUserVerdict, LOCKED_REASON } from './token-classifier.ts';

const error = (code: 'unknown_token' | 'token_soft_logout' | 'user_deactivated' | 'user_locked' | 'rate_limited') =>
  ({ status: 'rejected', reason: new SynapseClientError({ code, message: code }) }) as const;

describe('classifyWhoami', () => {
  it('is valid when the token belongs to the row user', () => {
    expect(classifyWhoami('@a:x', { status: 'fulfilled', value: { userId: '@a:x', deviceId: undefined, isGuest: false } })).toMatchObject({ class: 'valid' });
  });

  it('is wrong_owner when the token belongs to someone else, naming them', () => {
    expect(classifyWhoami('@a:x', { status: 'fulfilled', value: { userId: '@b:x', deviceId: 'D', isGuest: false } })).toEqual({
      kind: 'final',
      class: 'wrong_owner',
      actualUserId: '@b:x',
    });
  });

  it('asks for a user lookup on an unknown token, says expired on soft logout, deactivated on 403', () => {
    expect(classifyWhoami('@a:x', error('unknown_token'))).toEqual({ kind: 'dead' });
    expect(classifyWhoami('@a:x', error('token_soft_logout'))).toMatchObject({ class: 'expired' });
    expect(classifyWhoami('@a:x', error('user_deactivated'))).toMatchObject({ class: 'deactivated' });
  });

  it('counts a locked user with the deactivated ones, saying it is locked', () => {
    expect(classifyWhoami('@a:x', error('user_locked'))).toEqual({ kind: 'final', class: 'deactivated', reason: LOCKED_REASON });
  });

  it('leaves other failures unchecked with the reason', () => {
    expect(classifyWhoami('@a:x', error('rate_limited'))).toMatchObject({ class: 'unchecked', reason: 'whoami failed: rate_limited' });
  });

  it('rethrows what is not a Synapse client error (a bug)', () => {
    expect(() => classifyWhoami('@a:x', { status: 'rejected', reason: new TypeError('bug') })).toThrow(TypeError);
  });
});

describe('classifyDeadToken', () => {
  it('tells missing, deactivated and existing users apart', () => {
    expect(classifyDeadToken({ status: 'fulfilled', value: undefined })).toEqual({ class: 'missing_user' });
    expect(classifyDeadToken({ status: 'fulfilled', value: { deactivated: true } })).toEqual({ class: 'deactivated' });
    expect(classifyDeadToken({ status: 'fulfilled', value: { deactivated: false } })).toEqual({ class: 'unknown_token' });
  });

  it('is unchecked when the lookup fails', () => {
    expect(classifyDeadToken(error('rate_limited'))).toMatchObject({ class: 'unchecked' });
  });
});

describe('foreignUserVerdict', () => {
  it('says missing_user for a user id of another server, nothing for a local one or without a server name', () => {
    expect(foreignUserVerdict('@a:other.org', 'example.org')).toEqual({ class: 'missing_user', reason: 'the user id names another server (other.org), not example.org' });
    expect(foreignUserVerdict('@a:example.org', 'example.org')).toBeUndefined();
    expect(foreignUserVerdict('@a:example.org:8448', 'example.org:8448')).toBeUndefined();
    expect(foreignUserVerdict('nocolon', 'example.org')?.reason).toContain('(none)');
    expect(foreignUserVerdict('@a:other.org', undefined)).toBeUndefined();
  });
});
