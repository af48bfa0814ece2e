/**
 * docker/envoy/envoy.yaml, the Envoy front proxy of docker/docker-compose.yml, checked without
 * Envoy: Debian packages no Envoy and no Docker engine runs here, so what can go wrong between
 * Envoy and Profile A's rate limit service is checked on the real files instead. The bootstrap's
 * structure: a listener through an HTTP connection manager, the rate limit filter before the
 * router with its domain, a gRPC (HTTP/2, transport V3) cluster on the compose service and the
 * port that serves Envoy's rate limit service, a backend cluster on its HTTP port; the compose
 * file mounting that bootstrap into Envoy and that service listening where other containers
 * reach it. Above all, every `rate_limits` entry, turned into the descriptor Envoy would send,
 * must be matched by `matchDescriptor` in the domain the service runs with (the policies its
 * compose environment gives it) and select the policy the comment above the entry names: a
 * descriptor key Envoy sends that the domain does not know is no limit at all, silently.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parse as parseYaml, parseDocument, visit } from 'yaml';
import {
  DEFAULT_DOMAINS,
  defaultPolicies,
  loadPolicies,
  loadSettings,
  matchDescriptor,
  parseDomains,
} from '../src/core/index.js';

const ENVOY = 'docker/envoy/envoy.yaml';
const COMPOSE = 'docker/docker-compose.yml';
const DOCKERFILE = 'docker/Dockerfile';
/** Where the envoyproxy/envoy image reads its bootstrap (its default command's `-c`). */
const ENVOY_BOOTSTRAP = '/etc/envoy/envoy.yaml';

const HCM = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const RATELIMIT = 'envoy.filters.http.ratelimit';
const RATELIMIT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit';
const ROUTER = 'envoy.filters.http.router';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const envoyText = readFileSync(ENVOY, 'utf8');
const envoy = parseYaml(envoyText);
const compose = parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;

const listener = envoy.static_resources.listeners[0];
const hcmFilter = listener.filter_chains[0].filters.find((f: any) => f.name === HCM);
const hcm = hcmFilter?.typed_config;
const httpFilters: any[] = hcm?.http_filters ?? [];
const rateLimitFilter = httpFilters.find((f) => f.name === RATELIMIT)?.typed_config;
const clusters: any[] = envoy.static_resources.clusters;
const cluster = (name: string) => clusters.find((c) => c.name === name);

/** A cluster's endpoints as `host:port`. */
const endpoints = (c: any): string[] =>
  c.load_assignment.endpoints.flatMap((e: any) =>
    e.lb_endpoints.map(
      (l: any) => `${l.endpoint.address.socket_address.address}:${l.endpoint.address.socket_address.port_value}`,
    ),
  );

/** The environment a compose service's container runs with: its image's ENV, then its own. */
function containerEnv(service: any): Record<string, string> {
  // the services that build run docker/Dockerfile's last stage
  const lastStage = readFileSync(DOCKERFILE, 'utf8')
    .split(/^FROM /m)
    .at(-1) as string;
  const env: Record<string, string> = {};
  for (const [, pairs] of lastStage.matchAll(/^ENV (.+)$/gm)) {
    for (const pair of (pairs as string).trim().split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      env[key as string] = value.join('=');
    }
  }
  const own = service.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(own)
    ? own.map((kv: string) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)])
    : Object.entries(own);
  for (const [key, value] of entries) env[key] = String(value);
  return env;
}

/** A container path to the file the compose file mounts there (its `./` is docker/). */
function hostPath(service: any, containerPath: string): string | undefined {
  for (const volume of (service.volumes ?? []) as string[]) {
    const [host, target] = volume.split(':') as [string, string];
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return resolve(dirname(COMPOSE), host + containerPath.slice(target.length));
    }
  }
  return undefined;
}

// The rate limit service is the compose service the `ratelimit` cluster points at.
const rlsClusterName: string = rateLimitFilter?.rate_limit_service?.grpc_service?.envoy_grpc?.cluster_name;
const rlsEndpoint = cluster(rlsClusterName) === undefined ? [] : endpoints(cluster(rlsClusterName));
const rlsServiceName = (rlsEndpoint[0] ?? '').split(':')[0] as string;
const rlsService = services[rlsServiceName];
const rlsSettings = loadSettings(containerEnv(rlsService ?? {}));

/** The domains that service runs with: POLICIES_FILE's (as mounted), or the built-in ones. */
const domains = (() => {
  const file = rlsSettings.policiesFile;
  if (file === undefined) return parseDomains(DEFAULT_DOMAINS, defaultPolicies(rlsSettings));
  const host = hostPath(rlsService, file);
  if (host === undefined)
    throw new Error(`${rlsServiceName}'s POLICIES_FILE ${file} is not mounted from the repository`);
  const document = host.endsWith('.json')
    ? JSON.parse(readFileSync(host, 'utf8'))
    : parseYaml(readFileSync(host, 'utf8'));
  return parseDomains(document.domains, loadPolicies({ ...rlsSettings, policiesFile: host }));
})();

/** Sample values of the request Envoy would describe. */
const SAMPLE_ADDRESS = '203.0.113.7';
const SAMPLE_HEADERS: Record<string, string> = { ':path': '/health', 'x-user-id': 'alice' };

/** The descriptor entries Envoy builds from one `rate_limits` entry's actions, on the sample request. */
function descriptorOf(actions: any[]): { key: string; value: string }[] {
  return actions.map((action) => {
    const kinds = Object.keys(action);
    expect(kinds, 'an action has exactly one kind').toHaveLength(1);
    const kind = kinds[0] as string;
    const spec = action[kind] ?? {};
    switch (kind) {
      case 'remote_address':
        return { key: 'remote_address', value: SAMPLE_ADDRESS };
      case 'request_headers':
        expect(typeof spec.header_name === 'string' && typeof spec.descriptor_key === 'string').toBe(true);
        return { key: spec.descriptor_key, value: SAMPLE_HEADERS[spec.header_name] ?? 'sample' };
      case 'generic_key':
        expect(typeof spec.descriptor_value).toBe('string');
        return { key: spec.descriptor_key ?? 'generic_key', value: spec.descriptor_value };
      default:
        throw new Error(`this test does not know what descriptor the action ${kind} makes: teach it`);
    }
  });
}

/** Every `rate_limits` entry of the bootstrap, with the comment above it (naming its policy). */
const rateLimits = (() => {
  const out: { where: string; comment: string; actions: any[] }[] = [];
  visit(parseDocument(envoyText), {
    Pair(_key, pair) {
      if (!isScalar(pair.key) || pair.key.value !== 'rate_limits' || !isSeq(pair.value)) return;
      const seq = pair.value;
      seq.items.forEach((item, i) => {
        if (!isMap(item)) throw new Error(`rate_limits[${i}] is not a map`);
        // the comment above a list's first item belongs to the list in the yaml package's tree
        const comment = item.commentBefore ?? (i === 0 ? seq.commentBefore : undefined);
        out.push({
          where: `line ${envoyText.slice(0, item.range?.[0]).split('\n').length} rate_limits[${i}]`,
          comment: comment ?? '',
          actions: (item.toJSON() as { actions: any[] }).actions,
        });
      });
    },
  });
  return out;
})();

describe('docker/envoy/envoy.yaml: Envoy in front of Profile A, Profile A as its rate limit service', () => {
  it('listens on 0.0.0.0:10000 through an HTTP connection manager', () => {
    expect(listener.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 10000 });
    expect(hcm?.['@type']).toBe(HCM_TYPE);
    expect(hcm.codec_type).toBe('AUTO');
    expect(hcm.stat_prefix).toEqual(expect.any(String));
    expect(envoy.admin.address.socket_address.port_value).toBe(9901);
  });

  it('asks the rate limit service, domain edge over gRPC V3, before the router routes', () => {
    const names = httpFilters.map((f) => f.name);
    expect(names.at(-1)).toBe(ROUTER);
    expect(names.indexOf(RATELIMIT)).toBeGreaterThanOrEqual(0);
    expect(names.indexOf(RATELIMIT)).toBeLessThan(names.indexOf(ROUTER));
    expect(rateLimitFilter['@type']).toBe(RATELIMIT_TYPE);
    expect(rateLimitFilter.domain).toBe('edge');
    expect(domains.has(rateLimitFilter.domain)).toBe(true);
    expect(rateLimitFilter.rate_limit_service.transport_api_version).toBe('V3');
    // the service down lets requests through: the example must not take the backend down with it
    expect(rateLimitFilter.failure_mode_deny).toBe(false);
  });

  it("points the rate limit service's cluster at the compose service serving gRPC, on HTTP/2", () => {
    const rls = cluster(rlsClusterName);
    expect(rls, `cluster ${rlsClusterName}`).toBeDefined();
    expect(rls.typed_extension_protocol_options[HTTP_OPTIONS]).toMatchObject({
      '@type': `type.googleapis.com/${HTTP_OPTIONS}`,
      explicit_http_config: { http2_protocol_options: {} },
    });
    expect(rls.type).toBe('STRICT_DNS');
    // Profile A on the default GRPC_PORT, as its compose environment has it
    expect(rlsEndpoint).toEqual([`profile-a:${loadSettings({}).grpcPort}`]);
    expect(rlsService, `compose service ${rlsServiceName}`).toBeDefined();
    expect(rlsSettings.grpcPort).toBe(loadSettings({}).grpcPort);
    // listening where other containers reach it, not on the container's loopback
    expect(['0.0.0.0', '::']).toContain(rlsSettings.host);
  });

  it("routes every path to that service's HTTP port", () => {
    const routes = hcm.route_config.virtual_hosts.flatMap((vh: any) => vh.routes);
    expect(routes.some((r: any) => r.match.prefix === '/')).toBe(true);
    for (const route of routes) {
      const backend = cluster(route.route.cluster);
      expect(backend, `cluster ${route.route.cluster}`).toBeDefined();
      expect(endpoints(backend)).toEqual([`${rlsServiceName}:${rlsSettings.port}`]);
    }
  });

  it("is the bootstrap of the compose file's envoy service, in front of profile-a", () => {
    const service = services.envoy;
    expect(service?.image).toMatch(/^envoyproxy\/envoy:v1\.\d+/);
    expect(service.volumes).toContain(`./envoy/envoy.yaml:${ENVOY_BOOTSTRAP}:ro`);
    expect(hostPath(service, ENVOY_BOOTSTRAP)).toBe(resolve(ENVOY));
    expect(service.ports).toEqual(expect.arrayContaining(['10000:10000', '9901:9901']));
    expect(Object.keys(service.depends_on ?? {})).toContain(rlsServiceName);
    // the policies checked below are those this service's environment gives it
    if (rlsSettings.policiesFile !== undefined) expect(hostPath(rlsService, rlsSettings.policiesFile)).toBeDefined();
  });

  it('has rate limits on its routes, each with the policy it selects in the comment above it', () => {
    expect(rateLimits.map((r) => r.comment.match(/policy ([\w.-]+)/)?.[1])).toEqual([
      'per-ip',
      'per-user',
      'per-user-route',
      'per-route',
    ]);
  });

  it.each(rateLimits.map((r) => [r.where, r] as const))(
    "%s: Envoy's descriptor is matched in the domain and selects the policy its comment names",
    (_where, { comment, actions }) => {
      const entries = descriptorOf(actions);
      const rules = domains.get(rateLimitFilter.domain);
      if (rules === undefined) throw new Error(`the service has no domain ${rateLimitFilter.domain}`);
      const match = matchDescriptor(rules, entries);
      expect(match, `descriptor ${JSON.stringify(entries)}`).toBeDefined();
      expect(match?.policy.name).toBe(comment.match(/policy ([\w.-]+)/)?.[1]);
      // each entry's value fills the policy's scope: the limit is per value, not one for all
      expect(Object.keys(match?.subject ?? {}).sort()).toEqual([...(match?.policy.scope ?? [])].sort());
      expect(Object.values(match?.subject ?? {}).sort()).toEqual(entries.map((e) => e.value).sort());
    },
  );
});
