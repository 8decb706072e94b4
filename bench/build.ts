import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How the runner starts a TypeScript entry file. */
export type Runtime = 'node' | 'tsx';

export interface EntryResolver {
  /** `node` arguments that run `entry` (a path relative to the repository, e.g. src/index.ts). */
  nodeArgs(entry: string): string[];
  /** Working directory for the children. */
  readonly cwd: string;
  /** Removes the compiled output, if any. */
  dispose(): void;
}

/**
 * `tsx`: `node --import tsx <file>.ts`, as `npm start` does. `node`: compiles src/ and bench/baselines/ with
 * tsc (same options as `npm run build`, without the type check) into a temporary directory and runs plain JS,
 * the production path.
 */
export function prepareRuntime(runtime: Runtime, repoRoot: string, log: (line: string) => void): EntryResolver {
  if (runtime === 'tsx') {
    return { nodeArgs: (entry) => ['--import', 'tsx', entry], cwd: repoRoot, dispose: () => {} };
  }
  const outDir = mkdtempSync(join(tmpdir(), 'ivs-bench-build-'));
  const started = Date.now();
  const tsc = spawnSync(
    process.execPath,
    // Emit only (half the CPU of a checked build): `npm run typecheck` is where types are checked.
    [
      join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'bench/tsconfig.build.json',
      '--outDir',
      outDir,
      '--noCheck',
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  // schema/ sits beside the compiled src/ as it does beside dist/; packages resolve through the symlink.
  cpSync(join(repoRoot, 'schema'), join(outDir, 'schema'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  const entry = (file: string): string => join(outDir, file.replace(/\.ts$/, '.js'));
  if (tsc.status !== 0) {
    // Syntax errors still emit JS; other helpers may be mid-edit. Say so and go on if the entries exist.
    log(`tsc reported errors (exit ${tsc.status}); benchmarking the emitted JS anyway:\n${tsc.stdout}${tsc.stderr}`);
    if (!existsSync(entry('src/index.ts')))
      throw new Error('tsc emitted no src/index.js; cannot benchmark compiled JS');
  }
  log(`compiled src/ and bench/baselines/ to ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    nodeArgs: (file) => [entry(file)],
    cwd: outDir,
    dispose: () => rmSync(outDir, { recursive: true, force: true }),
  };
}
