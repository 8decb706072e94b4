import { serveWithFastify } from './fastifyApollo.js';
import { buildBaselineSchema, constantParticipant } from './subgraph.js';

// Baseline `bare-apollo`: the cost floor of Apollo Server on our HTTP stack. Every participant is the
// same constant (with the key asked for), so no I/O happens at all.
const participant = constantParticipant();
await serveWithFastify(buildBaselineSchema((key) => ({ ...participant, ...key })));
