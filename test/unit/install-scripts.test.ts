import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const manifest = read('package.json') as { allowScripts?: Record<string, boolean> };
const lock = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

// `node_modules/a/node_modules/@scope/b` is the package `@scope/b`.
const packageName = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
// An allowScripts key is a name, optionally pinned to versions: `esbuild`, `esbuild@0.28.2`, `@scope/pkg@1`.
const decidedName = (key: string): string => key.replace(/(?<=.)@.*$/, '');

const withInstallScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
      .map(([path]) => packageName(path)),
  ),
].sort();

test('every locked package with an install script is decided in allowScripts, so npm ci has nothing unreviewed', () => {
  const decided = new Set(Object.keys(manifest.allowScripts ?? {}).map(decidedName));
  assert.deepEqual(
    withInstallScripts.filter((name) => !decided.has(name)),
    [],
  );
});

test('esbuild and both protobufjs scripts are denied: none is needed to run or build the gateway', () => {
  assert.deepEqual(manifest.allowScripts, { esbuild: false, protobufjs: false, '@apollo/protobufjs': false });
});

test('every denial gives its reason in the README dependency table', () => {
  const rows = readme.split('\n').filter((line) => line.startsWith('| install script:'));
  for (const name of Object.keys(manifest.allowScripts ?? {})) {
    assert.ok(
      rows.some((row) => row.includes(`\`${name}\``) && row.includes('denied')),
      `no README row gives the reason for ${name}`,
    );
  }
});
