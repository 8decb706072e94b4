import { GetParticipantCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { serveWithFastify } from './fastifyApollo.js';
import { buildBaselineSchema } from './subgraph.js';

// Baseline `naive`: what a quick implementation does. Each `participant` field and each entity
// representation calls GetParticipant itself, with the SDK's defaults (3 attempts, standard retries):
// no DataLoader, no cache, no rate limiting. Credentials come from the default chain (the runner's env).
const client = new IVSRealTimeClient({
  region: process.env['AWS_REGION'] ?? 'us-east-1',
  ...(process.env['IVS_ENDPOINT'] && { endpoint: process.env['IVS_ENDPOINT'] }),
});
await serveWithFastify(
  buildBaselineSchema(async (key) => {
    const { participant } = await client.send(new GetParticipantCommand(key));
    if (participant === undefined) throw new Error('IVS returned no participant');
    return { ...participant, ...key };
  }),
);
