import { badRequest } from './api-status.ts';

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** A compiled selector: true when the object's labels (or fields) satisfy every requirement. */
export type Matcher = (lookup: (key: string) => string | undefined) => boolean;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseRequirement(text: string, allowSets: boolean): Requirement {
  const set = /^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set && allowSets) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values };
  }
  const compare = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (compare) return { key: compare[1] ?? '', op: compare[2] === '!=' ? 'neq' : 'eq', value: compare[3] ?? '' };
  if (allowSets && /^![^\s!=]+$/.test(text)) return { key: text.slice(1), op: 'notexists' };
  if (allowSets && /^[^\s!=()]+$/.test(text)) return { key: text, op: 'exists' };
  throw badRequest(`unable to parse requirement: ${JSON.stringify(text)}`);
}

function compile(requirements: Requirement[]): Matcher {
  return (lookup) =>
    requirements.every((r) => {
      const value = lookup(r.key);
      switch (r.op) {
        case 'eq':
          return value === r.value;
        case 'neq':
          return value !== r.value;
        case 'in':
          return value !== undefined && r.values.includes(value);
        case 'notin':
          return value === undefined || !r.values.includes(value);
        case 'exists':
          return value !== undefined;
        case 'notexists':
          return value === undefined;
      }
    });
}

/**
 * Parses a label selector (`app=matrix,tier in (a,b),!legacy`).
 *
 * @example
 * parseLabelSelector('app=matrix')((key) => ({ app: 'matrix' })[key]); // true
 */
export function parseLabelSelector(text: string | null | undefined): Matcher {
  if (text === null || text === undefined || text.trim() === '') return () => true;
  return compile(splitTopLevel(text).map((part) => parseRequirement(part, true)));
}

/**
 * Parses a field selector (`metadata.name=x,status.phase!=Running`). Any dotted path of the object is accepted.
 *
 * @example
 * parseFieldSelector('status.phase=Running')((path) => 'Running'); // true
 */
export function parseFieldSelector(text: string | null | undefined): Matcher {
  if (text === null || text === undefined || text.trim() === '') return () => true;
  return compile(splitTopLevel(text).map((part) => parseRequirement(part, false)));
}

/** The string value at a dotted path (`metadata.name`, `involvedObject.uid`), for field selectors. */
export function fieldValue(object: Record<string, unknown>, path: string): string | undefined {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return path === 'metadata.namespace' ? '' : undefined;
  return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

/**
 * Turns a `LabelSelector` object (`matchLabels`, `matchExpressions`) into the string form.
 *
 * @example
 * labelSelectorString({ matchLabels: { app: 'matrix' } }); // "app=matrix"
 */
export function labelSelectorString(selector: unknown): string {
  if (typeof selector !== 'object' || selector === null) return '';
  const { matchLabels, matchExpressions } = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const parts = Object.entries(matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    if (expression.operator === 'In') parts.push(`${expression.key} in (${values})`);
    else if (expression.operator === 'NotIn') parts.push(`${expression.key} notin (${values})`);
    else if (expression.operator === 'Exists') parts.push(expression.key);
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
  }
  return parts.join(',');
}
