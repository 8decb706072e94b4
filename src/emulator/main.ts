import { loadDemoSeed, startEmulator, type EmulatorOptions } from './server.js';

/** `npm run emulator`: the emulator on its own, configured by EMULATOR_* variables. */
function optionsFromEnv(env: NodeJS.ProcessEnv): EmulatorOptions {
  const integer = (name: string, fallback: number | undefined): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
    return value;
  };
  const quotaTps = integer('EMULATOR_QUOTA_TPS', undefined);
  const generated = integer('EMULATOR_GENERATED_PARTICIPANTS', 0) ?? 0;
  const demo = loadDemoSeed().stages[0];
  const demoSession = demo?.sessions[0];
  return {
    host: env['EMULATOR_HOST'] || '127.0.0.1',
    port: integer('EMULATOR_PORT', 4010),
    // 0 means no quota, as for the gateway's embedded emulator.
    quota: quotaTps === undefined || quotaTps === 0 ? null : { callsPerSecond: quotaTps },
    latencyMs: integer('EMULATOR_LATENCY_MS', 0),
    // Off unless asked for: benchmarks and tests against `npm run emulator` need rosters that hold still.
    activityIntervalMs: integer('EMULATOR_ACTIVITY_INTERVAL_MS', 0),
    // Generated participants join the first demo session, so benchmarks need no extra setup.
    ...(generated > 0 && demo !== undefined && demoSession !== undefined
      ? { generatedParticipants: { stageArn: demo.stageArn, sessionId: demoSession.sessionId, count: generated } }
      : {}),
  };
}

function describeDemoKeys(): string {
  return loadDemoSeed()
    .stages.flatMap((stage) =>
      stage.sessions.map(
        (session) =>
          `${[
            ...session.participants.map((p) => p.participantId),
            ...(session.generatedParticipants ? [`${session.generatedParticipants} generated (p-0000 ...)`] : []),
          ].join(', ')} @ ${stage.stageArn} ${session.sessionId}`,
      ),
    )
    .join(' | ');
}

try {
  const options = optionsFromEnv(process.env);
  const emulator = await startEmulator(options);
  const quota = options.quota ? `${options.quota.callsPerSecond} TPS` : 'none';
  console.log(
    `IVS emulator at ${emulator.url} (quota ${quota}, latency ${options.latencyMs ?? 0} ms); demo participants: ${describeDemoKeys()}`,
  );
  const shutdown = (): void => void emulator.close();
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
