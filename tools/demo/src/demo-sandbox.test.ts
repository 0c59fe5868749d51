import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isResetError } from '@matrix-reset/reset-core';
import { describe, expect, it } from 'vitest';
import { findRepositoryRoot } from './demo-sandbox.ts';

describe('findRepositoryRoot', () => {
  it('finds the checkout above this module', () => {
    expect(findRepositoryRoot(import.meta.filename)).toBe(join(import.meta.dirname, '..', '..', '..'));
  });

  it('fails with an unsupported ResetError outside a checkout', () => {
    let caught: unknown;
    try {
      findRepositoryRoot(join(tmpdir(), 'nowhere', 'demo.ts'));
    } catch (error) {
      caught = error;
    }
    expect(isResetError(caught, 'unsupported')).toBe(true);
  });
});
