import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configDefaults, configVariableNames } from '../../src/config.js';
import { ErrorCode } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

// The rows of the tables under "## Configuration": variable name and default cell.
const configurationSection = readme.slice(
  readme.indexOf('\n## Configuration\n'),
  readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1),
);
const documented = new Map(
  [...configurationSection.matchAll(/^\| `([A-Z0-9_]+)` +\| ([^|]*?) +\|/gm)].map(
    ([, name = '', value = '']) => [name, value] as const,
  ),
);

test('every environment variable the gateway reads has a row in the README configuration table', () => {
  const missing = configVariableNames.filter((name) => !documented.has(name));
  assert.deepEqual(missing, []);
});

test('every variable in the README configuration table is one the gateway reads', () => {
  const unknown = [...documented.keys()].filter((name) => !configVariableNames.includes(name));
  assert.deepEqual(unknown, []);
});

test('the README configuration table states each default the code applies', () => {
  const wrong = Object.entries(configDefaults())
    .filter(([name, value]) => documented.get(name) !== `\`${value}\``)
    .map(([name, value]) => `${name}: README ${documented.get(name) ?? 'no row'}, code \`${value}\``);
  assert.deepEqual(wrong, []);
});

test('every error code the gateway produces is in the README error table', () => {
  const missing = Object.values(ErrorCode).filter((code) => !readme.includes(`| \`${code}\``));
  assert.deepEqual(missing, []);
});
