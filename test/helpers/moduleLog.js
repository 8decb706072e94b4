// Preloaded by tests with `--import`: appends the URL of every module the process resolves to the
// file named by MODULE_LOG, so a test can tell which packages an entry point really loaded.
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// The same file is the hooks module; the hooks run on their own thread.
if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.MODULE_LOG) appendFileSync(process.env.MODULE_LOG, `${resolved.url}\n`);
  return resolved;
}
