/**
 * The Redis client of the limiter and of the chat bus: one Redis at a URL, or a Redis Cluster from
 * its seeds (REDIS_CLUSTER_NODES). Both fail fast, for their callers decide what answers while
 * Redis cannot (the limiter's breaker and fallback, the bus's local service): no offline queue,
 * no retry of a command, a command to a shard that is failing over refused at once (a decision
 * then follows MOVED to the new master). Both reconnect quickly, forever: every 50 ms more per
 * attempt, at most 1 s apart.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** Seeds of a Redis Cluster: `host:port` each. */
export type ClusterSeeds = readonly { host: string; port: number }[];

const retryStrategy = (times: number) => Math.min(50 * times, 1_000);

/**
 * A client of `url`, or of the cluster of `seeds` when given; `options` go to every connection
 * (over the fail-fast ones), `clusterOptions` to the cluster client alone.
 */
export function failFastClient(
  url: string,
  seeds: ClusterSeeds | undefined,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
): Redis | Cluster {
  const connection: RedisOptions = {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    ...options,
  };
  if (seeds === undefined) return new Redis(url, connection);
  return new Cluster([...seeds], {
    lazyConnect: connection.lazyConnect,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: retryStrategy,
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    // the cluster client pipelines; each node's connection need not
    redisOptions: { ...connection, enableAutoPipelining: false },
    ...clusterOptions,
  });
}
