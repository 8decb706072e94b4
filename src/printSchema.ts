import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { buildSchema } from './schema.js';

/** The subgraph SDL exactly as `_service { sdl }` serves it to routers and rover. */
export async function printSubgraphSdl(): Promise<string> {
  const result = await graphql({ schema: buildSchema(), source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (typeof sdl !== 'string') throw new Error(`_service { sdl } failed: ${JSON.stringify(result.errors)}`);
  return sdl;
}

// `npm run print-schema -- --out participants.graphql`: compose without a running server.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string', short: 'o' } } });
  const sdl = await printSubgraphSdl();
  if (values.out) {
    writeFileSync(values.out, sdl);
    console.error(`Wrote the subgraph SDL to ${values.out}`);
  } else {
    process.stdout.write(sdl);
  }
}
