import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { test } from 'node:test';

const src = join(import.meta.dirname, '..', '..', 'src');

/** The folder of src/ a file belongs to, or `null` for the files at the top of src/ (shared by every folder). */
function folderOf(file: string): string | null {
  const parts = relative(src, file).split(sep);
  return parts.length > 1 ? (parts[0] ?? null) : null;
}

/** Every folder each folder of src/ imports from (relative imports only). */
function folderImports(): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  for (const name of files) {
    const file = join(src, name);
    const from = folderOf(file);
    if (from === null) continue;
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const to = folderOf(normalize(join(dirname(file), specifier ?? '')));
      if (to === null || to === from) continue;
      const targets = imports.get(from) ?? new Set<string>();
      targets.add(to);
      imports.set(from, targets);
    }
  }
  return imports;
}

/** One chain of folders that leads back to its start, or `null` when there is none. */
function findCycle(imports: Map<string, Set<string>>): string[] | null {
  const done = new Set<string>();
  const visit = (folder: string, path: string[]): string[] | null => {
    if (path.includes(folder)) return [...path.slice(path.indexOf(folder)), folder];
    if (done.has(folder)) return null;
    for (const next of imports.get(folder) ?? []) {
      const cycle = visit(next, [...path, folder]);
      if (cycle !== null) return cycle;
    }
    done.add(folder);
    return null;
  };
  for (const folder of imports.keys()) {
    const cycle = visit(folder, []);
    if (cycle !== null) return cycle;
  }
  return null;
}

test('no folder of src/ imports, directly or through others, a folder that imports it', () => {
  const cycle = findCycle(folderImports());
  assert.equal(cycle, null, `folder cycle: ${cycle?.join(' -> ')}`);
});

test('the check finds a cycle when there is one', () => {
  const imports = new Map([
    ['live', new Set(['http'])],
    ['http', new Set(['graphql'])],
    ['graphql', new Set(['live'])],
  ]);
  assert.deepEqual(findCycle(imports), ['live', 'http', 'graphql', 'live']);
});
