import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The parts of a V8 `.cpuprofile` (as written by `node --cpu-prof`) that the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  /** µs on the monotonic clock (CLOCK_MONOTONIC on Linux, shared by every process). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A span of the monotonic clock, in µs, e.g. from `process.hrtime.bigint() / 1000n` in another process. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

interface Row {
  name: string;
  ms: number;
}

/** Self and inclusive CPU time of one profile, grouped by function and by package or source area. */
export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not spent idle: what the process actually worked. */
  busyMs: number;
  selfByArea: Row[];
  selfByFunction: Row[];
  inclusiveByFunction: Row[];
}

const special = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * Sums sample durations per function (self), per function on the stack (inclusive) and per area;
 * with `window`, only samples taken inside it (e.g. the measured run, without startup and warm-up).
 */
export function summariseProfile(file: string, window?: ProfileWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number): void => void map.set(key, (map.get(key) ?? 0) + us);
  let totalUs = 0;
  let idleUs = 0;
  let takenAt = profile.startTime;

  profile.samples.forEach((id, i) => {
    takenAt += profile.timeDeltas[i] ?? 0;
    if (window !== undefined && (takenAt < window.fromUs || takenAt > window.toUs)) return;
    // A sample lasts until the next one is taken (DevTools' convention).
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    totalUs += us;
    const name = functionLabel(node.callFrame);
    if (name === '(idle)') idleUs += us;
    add(self, name, us);
    add(areas, areaOf(node.callFrame), us);
    // Each function counts once per sample however often it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame === undefined) break;
      const label = functionLabel(frame);
      if (!special.has(label) && !seen.has(label)) {
        seen.add(label);
        add(inclusive, label, us);
      }
    }
  });

  const rows = (map: Map<string, number>, limit: number): Row[] =>
    [...map.entries()]
      .map(([name, us]) => ({ name, ms: us / 1000 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, limit);
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    selfByArea: rows(areas, 25),
    selfByFunction: rows(self, 35),
    inclusiveByFunction: rows(inclusive, 35),
  };
}

function functionLabel(frame: { functionName: string; url: string; lineNumber: number }): string {
  if (special.has(frame.functionName)) return frame.functionName;
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return `${name} [native]`;
  return `${name} ${shortPath(frame.url)}:${frame.lineNumber + 1}`;
}

/** `node_modules/<package>`, `node:<module>`, our own top-level folder, or the V8 pseudo-frame. */
function areaOf(frame: { functionName: string; url: string }): string {
  if (special.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (url === '') return '(native / V8 builtins)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  const own = /\/(src|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : shortPath(url);
}

function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) return path.slice(inModules + 'node_modules/'.length);
  const own = /\/((?:src|bench)\/.*)$/.exec(path);
  return own?.[1] ?? path;
}

/** The summary as Markdown tables, shares of busy (non-idle) time. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const share = (ms: number): string => `${((ms / Math.max(summary.busyMs, 1e-9)) * 100).toFixed(1)}%`;
  const table = (title: string, rows: Row[]): string =>
    [
      `#### ${title}`,
      '',
      '| ms | share of busy | where |',
      '|---:|---:|---|',
      ...rows.map((row) => `| ${row.ms.toFixed(0)} | ${share(row.ms)} | \`${row.name.replaceAll('|', '\\|')}\` |`),
      '',
    ].join('\n');
  return [
    `### CPU profile ${basename(summary.file)}`,
    '',
    `${summary.totalMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy (not idle).`,
    '',
    table('Self time by package or source area', summary.selfByArea),
    table('Self time by function', summary.selfByFunction),
    table('Inclusive time by function (each function once per sample)', summary.inclusiveByFunction),
  ].join('\n');
}

// `tsx bench/profile.ts <file.cpuprofile | directory>`: summarise one profile, or every profile in a directory.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2];
  if (target === undefined) {
    console.error('usage: tsx bench/profile.ts <file.cpuprofile | directory>');
    process.exit(2);
  }
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(target, name))
    : [target];
  for (const file of files) console.log(formatProfileSummary(summariseProfile(file)));
}
