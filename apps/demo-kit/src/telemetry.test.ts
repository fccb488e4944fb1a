import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import type { ProviderDefinition } from './provider.js';
import { readTelemetryChoice } from './telemetry.js';

describe('readTelemetryChoice', () => {
  it.each([
    [{}, undefined, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, undefined, undefined],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' },
      undefined,
      {
        mode: 'otlp',
        endpoint: 'http://127.0.0.1:4318',
        serviceName: 'app',
        metricIntervalMs: 60_000,
      },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base//', OTEL_SERVICE_NAME: 'svc' },
      undefined,
      {
        mode: 'otlp',
        endpoint: 'https://otel.example/base',
        serviceName: 'svc',
        metricIntervalMs: 60_000,
      },
    ],
    // --telemetry console wins over the endpoint.
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRIC_EXPORT_INTERVAL: '5000' },
      'console',
      { mode: 'console', serviceName: 'app', metricIntervalMs: 5000 },
    ],
  ] as const)('%j with %s → %j', (env, requested, expected) => {
    expect(readTelemetryChoice(env, 'app', requested)).toEqual(expected);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://127.0.0.1' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://[::1' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{}, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'otlp'], // --telemetry otlp without an endpoint
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRIC_EXPORT_INTERVAL: '1e3x' },
      'OTEL_METRIC_EXPORT_INTERVAL',
    ],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '0' }, 'OTEL_METRIC_EXPORT_INTERVAL', 'console'],
  ] as const)('%j is refused naming %s', (env, variable, requested?: 'otlp' | 'console') => {
    let error: unknown;
    try {
      readTelemetryChoice(env, 'app', requested);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'ConfigError', code: 'ERR_CONFIG_INVALID', variable });
  });
});

describe('--telemetry', () => {
  const def: ProviderDefinition = {
    profile: 'generic',
    appName: 'telemetry-demo',
    displayName: 'Test IdP',
    defaultRequiredScopes: ['mcp:tools'],
    defaultStepUpScope: 'mcp:admin',
    defaultPort: 0,
    issuerExample: 'https://idp.example.com',
    resourceExample: 'https://mcp.example.com/mcp',
    emulationOnly: true,
    emulation: { notes: [] },
    highlightClaims: [],
  };

  it.each([
    [['--telemetry'], 'telemetry-demo: --telemetry takes "console" or "otlp" (see --help)'],
    [
      ['--telemetry', 'jaeger'],
      'telemetry-demo: --telemetry takes "console" or "otlp" (see --help)',
    ],
    [
      ['--telemetry=otlp'],
      'telemetry-demo: OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL, e.g. http://127.0.0.1:4318',
    ],
  ])('%j fails with one line and exit code 1', async (argv, line) => {
    const err: string[] = [];
    let code: number | undefined;
    await runCli(def, {
      argv,
      env: { PORT: '0' },
      out: () => undefined,
      err: (l) => err.push(l),
      exit: (c) => {
        code = c;
      },
      handleSignals: false,
    });
    expect(code).toBe(1);
    expect(err).toEqual([line]);
  });
});
