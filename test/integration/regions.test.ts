import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startEmulator, type IvsEmulator } from '../../src/emulator/server.js';
import { within } from '../helpers/within.js';
import { demo, startStack, type Stack } from '../helpers/stack.js';

// The demo seed's stage in the second region; both emulators load the same seed, so only routing decides.
const frankfurt = {
  stageArn: 'arn:aws:ivs:eu-central-1:123456789012:stage/DemoStage04',
  sessionId: 'st-DemoSession04',
} as const;

const participantsQuery = (stage: { stageArn: string; sessionId: string }, ids: readonly string[]) =>
  `{ ${ids
    .map(
      (id, index) =>
        `p${index}: participant(stageArn: "${stage.stageArn}", sessionId: "${stage.sessionId}", participantId: "${id}") { participantId }`,
    )
    .join('\n')} }`;

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

describe('regions: one gateway in front of several AWS regions', () => {
  let secondRegion: IvsEmulator;
  let stack: Stack;
  before(async () => {
    secondRegion = await startEmulator();
    stack = await startStack({
      env: {
        // us-east-1 goes to the stack's emulator (IVS_ENDPOINT), eu-central-1 to its own.
        IVS_REGIONS: 'us-east-1,eu-central-1',
        IVS_REGION_ENDPOINTS: `eu-central-1=${secondRegion.url}`,
        UPSTREAM_CACHE_MAX_ENTRIES: '0',
      },
    });
    for (const participantId of ids('virginia', 20))
      stack.emulator.addParticipant(demo.stageArn, demo.sessionId, { participantId, state: 'CONNECTED' });
    for (const participantId of ids('frankfurt', 5))
      secondRegion.addParticipant(frankfurt.stageArn, frankfurt.sessionId, { participantId, state: 'CONNECTED' });
  });
  after(async () => {
    await stack.close();
    await secondRegion.close();
  });
  beforeEach(() => {
    stack.emulator.reset();
    secondRegion.reset();
  });

  test("a stage ARN's region picks the IVS endpoint that is called", { timeout: 30_000 }, async () => {
    const { body } = await stack.graphql(
      `{ alice: participant(stageArn: "${demo.stageArn}", sessionId: "${demo.sessionId}", participantId: "alice") { userId }
         dora: participant(stageArn: "${frankfurt.stageArn}", sessionId: "${frankfurt.sessionId}", participantId: "dora") { userId } }`,
    );
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data, { alice: { userId: 'user-alice' }, dora: { userId: 'user-dora' } });
    assert.equal(stack.emulator.stats().byOperation.GetParticipant.calls, 1);
    assert.equal(secondRegion.stats().byOperation.GetParticipant.calls, 1);
  });

  test('a stage in a region not listed is STAGE_NOT_SERVED without a call', { timeout: 30_000 }, async () => {
    const { body } = await stack.graphql(
      `{ stage(arn: "arn:aws:ivs:eu-west-1:123456789012:stage/DemoStage04") { name } }`,
    );
    assert.equal(body.errors?.[0]?.extensions?.['reason'], 'STAGE_NOT_SERVED');
    assert.match(body.errors?.[0]?.message ?? '', /serves stages in us-east-1, eu-central-1/);
    assert.equal(stack.emulator.stats().calls + secondRegion.stats().calls, 0);
  });

  test(
    "each region has its own quota: a queue of calls in one region holds back none of the other's",
    { timeout: 60_000 },
    async () => {
      // Twenty cold lookups take four seconds of us-east-1's 5 calls per second.
      const busy = stack.graphql(participantsQuery(demo, ids('virginia', 20)));
      await within(stack.emulator.waitForCalls(5), 20_000, 'the first window of us-east-1 calls');

      const { body } = await stack.graphql(participantsQuery(frankfurt, ids('frankfurt', 5)));
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      assert.equal(secondRegion.stats().byOperation.GetParticipant.served, 5);
      // Sharing one quota, these five would have queued behind all twenty.
      assert.ok(stack.emulator.stats().calls < 20, `us-east-1 had made ${stack.emulator.stats().calls} calls`);
      assert.equal((await busy).body.errors, undefined);
      assert.equal(stack.emulator.stats().throttled + secondRegion.stats().throttled, 0);
    },
  );
});
