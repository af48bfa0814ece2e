/**
 * The degrade scenario's FaultProxy and its fault program in a worker thread of the harness: its
 * own event loop, so that the load generator's work (sending, parsing, timing thousands of
 * decisions a second) never holds back a Redis reply. In the generator's thread a busy turn of
 * its loop delayed replies past the limiter's timeout: faults the scenario never planned, mostly
 * in the first second while the generator is still being compiled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  FaultProxy,
  type FaultProxyCommand,
  type FaultProxyMessage,
  type FaultProxyPlan,
  runFaultProgram,
} from './fault-proxy.js';

const port = parentPort;
if (!port) throw new Error('fault-proxy-worker.js runs as a worker thread of the harness');
const plan = workerData as FaultProxyPlan;
const proxy = await FaultProxy.start(plan.upstreamPort);
let stop: (() => void) | undefined;
port.on('message', (command: FaultProxyCommand) => {
  if (command === 'start') {
    stop = runFaultProgram(proxy, plan.faultAfterMs, plan.faultForMs, (phase) =>
      port.postMessage({ phase } satisfies FaultProxyMessage),
    );
  } else {
    stop?.();
    void proxy.close().then(() => port.close());
  }
});
port.postMessage({ port: proxy.port } satisfies FaultProxyMessage);
