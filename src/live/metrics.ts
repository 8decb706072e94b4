import { Gauge, type Registry } from 'prom-client';
import type { LiveWatchers } from './watchers.js';

/** `ivs_live_refresh_interval_seconds{operation}` and `gateway_live_subscriptions`, read when scraped. */
export function registerLiveMetrics(registry: Registry, live: LiveWatchers): void {
  new Gauge({
    name: 'ivs_live_refresh_interval_seconds',
    help: 'How often each watched key is refreshed now, per operation: max(LIVE_MIN_INTERVAL_MS, K / (LIVE_QUOTA_SHARE × quota)).',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      for (const operation of ['GetParticipant', 'ListParticipants'] as const) {
        this.set({ operation }, live.intervalMs(operation) / 1000);
      }
    },
  });
  new Gauge({
    name: 'gateway_live_subscriptions',
    help: 'Open subscriptions of this process (WebSocket and SSE).',
    registers: [registry],
    collect() {
      this.set(live.subscriptions());
    },
  });
}
