import { describe, expect, it } from 'vitest';
import { formatDotenvValue, getDotenvValue, parseDotenv, removeDotenvKey, setDotenvValue } from './dotenv-format.ts';

describe('dotenv parsing', () => {
  it('reads export lines, spaces around =, quotes and inline comments', () => {
    const text = [
      '# comment',
      'export A=plain',
      'B = spaced # trailing comment',
      "C='single $not #expanded'",
      'D="double \\"quoted\\"\\nline"',
      'E=`back tick`',
      'F="multi',
      'line"',
      '',
      'G=',
    ].join('\n');
    expect(Object.fromEntries(parseDotenv(text).map((a) => [a.key, a.value]))).toEqual({
      A: 'plain',
      B: 'spaced',
      C: 'single $not #expanded',
      D: 'double "quoted"\nline',
      E: 'back tick',
      F: 'multi\nline',
      G: '',
    });
  });

  it('the last assignment wins', () => {
    expect(getDotenvValue('A=1\nA=2\n', 'A')).toBe('2');
  });
});

describe('dotenv writing', () => {
  it('replaces a key in place keeping every other line, comment, export prefix and trailing comment', () => {
    const text = '# admin\nexport TOKEN=old # rotated by hand\n\nOTHER="x y"\n# end\n';
    expect(setDotenvValue(text, 'TOKEN', 'syt_new')).toBe('# admin\nexport TOKEN=syt_new # rotated by hand\n\nOTHER="x y"\n# end\n');
  });

  it('replaces a multi-line quoted value with one line', () => {
    expect(setDotenvValue('A=1\nK="a\nb"\nZ=2\n', 'K', 'v')).toBe('A=1\nK=v\nZ=2\n');
  });

  it('appends a missing key, adding the missing final newline first', () => {
    expect(setDotenvValue('A=1', 'B', '2')).toBe('A=1\nB=2\n');
    expect(setDotenvValue('', 'B', '2')).toBe('B=2\n');
  });

  it('keeps CRLF line endings', () => {
    expect(setDotenvValue('A=1\r\nB=2\r\n', 'A', '3')).toBe('A=3\r\nB=2\r\n');
  });

  it('quotes values that need it and round-trips them', () => {
    for (const value of ['syt_abc', 'has space', 'dollar$VAR', 'hash#x', "it's", 'two\nlines', '']) {
      const text = setDotenvValue('X=1\n', 'X', value);
      expect(getDotenvValue(text, 'X')).toBe(value);
    }
    expect(formatDotenvValue('a b')).toBe("'a b'");
    expect(formatDotenvValue("it's")).toBe('"it\'s"');
  });

  it('refuses a value no quoting represents portably, without echoing it', () => {
    expect(() => formatDotenvValue(`it's "both" $x`)).toThrow(expect.objectContaining({ code: 'invalid_value', message: expect.not.stringContaining('both') }));
  });

  it('removes a key and nothing else', () => {
    expect(removeDotenvKey('# c\nA=1\nB=2\n', 'A')).toBe('# c\nB=2\n');
  });
});
