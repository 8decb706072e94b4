import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configVariableNames } from '../../src/config.js';
import { ErrorCode } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every environment variable the gateway reads has a row in the README configuration table', () => {
  const missing = configVariableNames.filter((name) => !readme.includes(`| \`${name}\``));
  assert.deepEqual(missing, []);
});

test('every error code the gateway produces is in the README error table', () => {
  const missing = Object.values(ErrorCode).filter((code) => !readme.includes(`| \`${code}\``));
  assert.deepEqual(missing, []);
});
