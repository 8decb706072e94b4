import { createServer } from 'node:http';
import { closeOnSignal, listenPort } from './process.js';
import { constantParticipant, sortedAttributes } from './subgraph.js';

// Baseline `raw-http`: the floor of Node itself. Reads and parses the JSON request like any JSON
// endpoint, then answers with the bytes the gateway returns for the hot-key query, without GraphQL.
const participant = constantParticipant();
const data = {
  participant: {
    participantId: participant.participantId,
    userId: participant.userId,
    state: participant.state,
    firstJoinTime: participant.firstJoinTime?.toISOString(),
    published: participant.published,
    protocol: participant.protocol,
    attributes: sortedAttributes(participant),
  },
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"bad json"}');
      return;
    }
    // Apollo Server ends its JSON with a newline; so do we, byte for byte.
    const body = `${JSON.stringify({ data })}\n`;
    res
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
      .end(body);
  });
});
server.listen(listenPort(), '127.0.0.1');
closeOnSignal(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
