import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

/** The machine and code a run measured, for the report. */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  date: string;
  commit: string;
  /** 1-minute load average when the run started: above ~0.5 on 2 cores, something else was busy. */
  loadAverageAtStart: number;
}

/** Reads /proc/cpuinfo, os and git; never fails (unknown parts read "unknown"). */
export function describeMachine(repoRoot: string): MachineDescription {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    commit: gitCommit(repoRoot),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    const model = line?.split(':')[1]?.trim();
    if (model) return model;
  } catch {
    // Not Linux: fall through to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

function gitCommit(repoRoot: string): string {
  try {
    const run = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    const head = run('rev-parse', '--short', 'HEAD');
    return run('status', '--porcelain').length > 0 ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}
