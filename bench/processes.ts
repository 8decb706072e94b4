import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A server the runner started in its own process, on 127.0.0.1. */
export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly logPath: string;
  /** Peak resident set size so far (VmHWM), in bytes; null once the process is gone. */
  peakRssBytes(): number | null;
  /** Resident set size now (VmRSS), in bytes; null once the process is gone. */
  rssBytes(): number | null;
  /** User + system CPU time used so far, in ms; null once the process is gone. */
  cpuTimeMs(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildSpec {
  name: string;
  /** Arguments to `node` (flags, then the entry file). */
  nodeArgs: string[];
  env: Record<string, string>;
  cwd: string;
  port: number;
  /** Path polled until the server answers anything at all. */
  readyPath: string;
  logPath: string;
  readyTimeoutMs?: number;
  /** Pin the process to this CPU (Linux `taskset`, which execs node: the pid stays the same). */
  cpu?: number;
}

/** A port that was free a moment ago. The child binds it shortly after; a clash fails loudly at start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Starts `node <nodeArgs>` with exactly `env` (plus PATH and HOME), output to `logPath`, and waits
 * until `readyPath` answers. Fails with the log's tail if the process exits or never answers.
 */
export async function startChild(spec: ChildSpec): Promise<ChildServer> {
  const log = openSync(spec.logPath, 'w');
  const [command, args] =
    spec.cpu === undefined
      ? [process.execPath, spec.nodeArgs]
      : ['taskset', ['-c', String(spec.cpu), process.execPath, ...spec.nodeArgs]];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...spec.env },
    // The kernel writes the child's output straight to the file: no runner CPU spent on it.
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${spec.port}`;
  const failure = (reason: string): Error =>
    new Error(`${spec.name} ${reason}; last lines of ${spec.logPath}:\n${tail(spec.logPath)}`);

  if (child.pid === undefined) throw failure('could not be spawned');
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failure(`exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw failure('did not answer in time');
    }
    ready = await fetch(`${url}${spec.readyPath}`, { signal: AbortSignal.timeout(1000) }).then(
      async (response) => {
        await response.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (!ready) await delay(50);
  }
  return childServer(spec, child, child.pid, url, exited);
}

/** Pins every thread of this process to `cpu` (Linux `taskset`). */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

function childServer(
  spec: ChildSpec,
  child: ChildProcess,
  pid: number,
  url: string,
  exited: Promise<number | null>,
): ChildServer {
  let stopped: Promise<void> | undefined;
  return {
    name: spec.name,
    pid,
    url,
    logPath: spec.logPath,
    peakRssBytes: () => readStatusKb(pid, 'VmHWM'),
    rssBytes: () => readStatusKb(pid, 'VmRSS'),
    cpuTimeMs: () => readCpuTimeMs(pid),
    stop(graceMs = 10_000) {
      stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

function readStatusKb(pid: number, field: string): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    const kb = line === undefined ? NaN : Number.parseInt(line.slice(field.length + 1).trim(), 10);
    return Number.isFinite(kb) ? kb * 1024 : null;
  } catch {
    return null;
  }
}

// /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks; USER_HZ is 100 on Linux.
function readCpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
