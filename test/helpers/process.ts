import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const root = new URL('../../', import.meta.url);

export interface GatewayProcess {
  child: ChildProcess;
  /** JSON log lines from stdout so far. */
  lines: Record<string, unknown>[];
  /** Lines on stdout that are not JSON (none, wherever the output is not a terminal). */
  otherLines: string[];
  stderr(): string;
  /**
   * Resolves with the first log line (past or future) that matches; rejects if the process ends first
   * or no such line arrives within `timeoutMs`, so a regression fails instead of hanging.
   */
  waitForLine(
    matches: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** The exit code, once the process has ended and its output is read. */
  exited: Promise<number | null>;
}

/**
 * Runs `node --import tsx <script>` from the repository root with exactly `env` (plus PATH), as
 * the README's production command would, and collects its JSON log lines.
 */
export function spawnNode(args: string[], env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const otherLines: string[] = [];
  const waiters: {
    matches: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      otherLines.push(text);
      return;
    }
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.matches(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  // 'close', not 'exit': by then stdout is drained, so `lines` is complete.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    lines,
    otherLines,
    stderr: () => stderr,
    exited,
    waitForLine(matches, timeoutMs = 30_000) {
      const seen = lines.find(matches);
      if (seen) return Promise.resolve(seen);
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ matches, resolve })),
        exited.then((code) => {
          throw new Error(`process exited (${code}) before the expected log line; stderr: ${stderr}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

/**
 * Starts the gateway entry point (src/index.ts) and resolves once it logs its port. `preload`: more
 * `--import` modules, e.g. test/helpers/moduleLog.js.
 */
export async function startGatewayProcess(
  env: Record<string, string>,
  preload: string[] = [],
): Promise<GatewayProcess & { url: string }> {
  const imports = preload.flatMap((module) => ['--import', module]);
  const gateway = spawnNode([...imports, 'src/index.ts'], { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env });
  const ready = await gateway
    .waitForLine((line) => typeof line['port'] === 'number')
    .catch((error: unknown) => {
      gateway.child.kill('SIGKILL');
      throw error;
    });
  return { ...gateway, url: `http://127.0.0.1:${String(ready['port'])}` };
}
