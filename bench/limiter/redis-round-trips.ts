/**
 * Redis' share of a decision's latency, measured by the server: both profiles time each Redis
 * decision (from the command's call to its reply's handling, event-loop wait included) into the
 * histogram `limiter_redis_command_seconds` on /metrics. The harness reads its sum and count
 * before and after the measured phase; any server publishing that histogram gets the figure.
 */
import { parsePrometheus, sumOf } from '../../tools/prometheus-text.js';

export const ROUND_TRIP_METRIC = 'limiter_redis_command_seconds';

export type RoundTrips = { count: number; sumSeconds: number } | { unavailable: string };

/** The round trips the target has timed so far (every process's series summed), or why there are none. */
export async function readRoundTrips(httpUrl: string): Promise<RoundTrips> {
  let text: string;
  try {
    const res = await fetch(`${httpUrl}/metrics`);
    if (!res.ok) return { unavailable: `GET /metrics answered ${res.status}` };
    text = await res.text();
  } catch (err) {
    return { unavailable: `GET /metrics failed: ${(err as Error).message}` };
  }
  let scrape: ReturnType<typeof parsePrometheus>;
  try {
    scrape = parsePrometheus(text);
  } catch (err) {
    return { unavailable: `/metrics is not Prometheus text (${(err as Error).message})` };
  }
  if (scrape.types.get(ROUND_TRIP_METRIC) !== 'histogram')
    return { unavailable: `/metrics has no histogram ${ROUND_TRIP_METRIC}` };
  return { count: sumOf(scrape, `${ROUND_TRIP_METRIC}_count`), sumSeconds: sumOf(scrape, `${ROUND_TRIP_METRIC}_sum`) };
}

export interface RoundTripDetails {
  redisRoundTrip: {
    roundTrips: number;
    meanMs: number;
    meanDecisionLatencyMs: number;
    shareOfDecisionLatencyPct: number;
  } | null;
  redisRoundTripUnavailable?: string;
}

/**
 * The phase's figures, for a result's details: `redisRoundTrip` with the round trips timed, their
 * mean, the mean latency of a decision (its request's latency, a batch's once for each of its
 * checks), and the round trip's share of it; or null, with `redisRoundTripUnavailable` saying
 * why. Both means are over decisions, and each decision's round trip lies within its request, so
 * the share is at most 100%. (Over requests it would not be: a batch's 50 decisions wait for
 * each other in Redis and weigh 50 times in the round trips, once in the requests.)
 */
export function roundTripFigures(before: RoundTrips, after: RoundTrips, meanDecisionMs: number): RoundTripDetails {
  if ('unavailable' in before) return { redisRoundTrip: null, redisRoundTripUnavailable: before.unavailable };
  if ('unavailable' in after) return { redisRoundTrip: null, redisRoundTripUnavailable: after.unavailable };
  const roundTrips = after.count - before.count;
  if (roundTrips <= 0)
    return { redisRoundTrip: null, redisRoundTripUnavailable: 'no decision went to Redis in the measured phase' };
  const meanMs = ((after.sumSeconds - before.sumSeconds) / roundTrips) * 1000;
  return {
    redisRoundTrip: {
      roundTrips,
      meanMs: Number(meanMs.toFixed(3)),
      meanDecisionLatencyMs: Number(meanDecisionMs.toFixed(3)),
      shareOfDecisionLatencyPct: meanDecisionMs > 0 ? Number(((meanMs / meanDecisionMs) * 100).toFixed(1)) : 0,
    },
  };
}
