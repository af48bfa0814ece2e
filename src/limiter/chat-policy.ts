import type { Settings } from '../config/settings.js';
import type { TokenBucketPolicy } from './algorithms/token-bucket.js';

/** The per-connection chat bucket of the contract: every frame but a valid ping/pong costs 1. */
export function chatConnectionPolicy(settings: Settings): TokenBucketPolicy {
  return { capacity: settings.rateLimitCapacity, refillPerSec: settings.rateLimitRefillPerSec };
}
