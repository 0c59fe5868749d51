import { describe, expect, it } from 'vitest';
import { labelSelectorString, parseFieldSelector, parseLabelSelector } from './selectors.ts';

describe('selectors', () => {
  it('label selectors support equality, sets and existence', () => {
    const labels: Record<string, string> = { app: 'matrix', tier: 'db' };
    expect(parseLabelSelector('app=matrix,tier in (db,cache),!legacy')((key) => labels[key])).toBe(true);
    expect(parseLabelSelector('app!=matrix')((key) => labels[key])).toBe(false);
  });

  it('field selectors compare dotted paths', () => {
    expect(parseFieldSelector('status.phase=Running')(() => 'Running')).toBe(true);
    expect(parseFieldSelector('metadata.name!=x')(() => 'x')).toBe(false);
  });

  it('turns a LabelSelector object into its string form', () => {
    expect(labelSelectorString({ matchLabels: { app: 'matrix' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] })).toBe('app=matrix,tier');
  });
});
