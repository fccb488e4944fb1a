import { ConfigError } from './errors.js';

/** Where the demo sends OpenTelemetry spans and metrics. */
export type TelemetryMode = 'otlp' | 'console';

/** What {@link startTelemetry} registered: flush it in tests, shut it down on close. */
export interface DemoTelemetry {
  mode: TelemetryMode;
  /** One line for the banner: `OTLP/HTTP to http://…` or `console`. */
  description: string;
  /** Exports every finished span and the current metrics now. */
  flush(): Promise<void>;
  /** Flushes, stops the exporters and unregisters the global providers. Idempotent. */
  shutdown(): Promise<void>;
}

export interface TelemetryChoice {
  mode: TelemetryMode;
  /** OTLP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); signals go to `/v1/traces` and `/v1/metrics`. */
  endpoint?: string;
  serviceName: string;
  /** Metric export period in ms (`OTEL_METRIC_EXPORT_INTERVAL`; the SDK's default is 60 s). */
  metricIntervalMs: number;
}

/**
 * Reads the standard OpenTelemetry variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (absolute http(s)
 * URL) turns OTLP/HTTP export on, `--telemetry console` (the `console` argument) wins over it.
 * Undefined when neither asks for telemetry: nothing is loaded then.
 *
 * @example
 * readTelemetryChoice({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'local-demo');
 * // { mode: 'otlp', endpoint: 'http://127.0.0.1:4318', serviceName: 'local-demo', … }
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
export function readTelemetryChoice(
  env: Record<string, string | undefined>,
  appName: string,
  requested?: TelemetryMode,
): TelemetryChoice | undefined {
  const raw = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  const mode = requested ?? (raw ? 'otlp' : undefined);
  if (mode === undefined) return undefined;
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || appName;
  const intervalRaw = env['OTEL_METRIC_EXPORT_INTERVAL']?.trim();
  const metricIntervalMs = intervalRaw ? Number(intervalRaw) : 60_000;
  if (!Number.isInteger(metricIntervalMs) || metricIntervalMs < 100) {
    throw new ConfigError(
      'OTEL_METRIC_EXPORT_INTERVAL',
      'OTEL_METRIC_EXPORT_INTERVAL must be a whole number of milliseconds, at least 100 (e.g. 60000)',
    );
  }
  if (mode === 'console') return { mode, serviceName, metricIntervalMs };
  let url: URL | undefined;
  try {
    url = new URL(raw ?? '');
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL, e.g. http://127.0.0.1:4318',
    );
  }
  const endpoint = url.href.replace(/\/+$/, '');
  return { mode, endpoint, serviceName, metricIntervalMs };
}

/**
 * Registers the OpenTelemetry SDK as the global tracer and meter providers, exporting over
 * OTLP/HTTP (JSON) or to the console. Call it before `createHandler`: the transport takes its
 * meter when the handler is created. The SDK is loaded only here, so a demo without telemetry
 * never loads it.
 *
 * @example
 * const telemetry = await startTelemetry({ mode: 'console', serviceName: 'local-demo', metricIntervalMs: 60000 });
 * // … createHandler(…) …
 * await telemetry.shutdown();
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
export async function startTelemetry(choice: TelemetryChoice): Promise<DemoTelemetry> {
  const [api, traceSdk, metricsSdk, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': choice.serviceName });
  let spanProcessor: import('@opentelemetry/sdk-trace-base').SpanProcessor;
  let metricExporter: import('@opentelemetry/sdk-metrics').PushMetricExporter;
  if (choice.mode === 'otlp') {
    const [{ OTLPTraceExporter }, { OTLPMetricExporter }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
    ]);
    // Explicit URLs: the demo's environment may come from .env, which the exporters never read.
    spanProcessor = new traceSdk.BatchSpanProcessor(
      new OTLPTraceExporter({ url: `${choice.endpoint}/v1/traces` }),
    );
    metricExporter = new OTLPMetricExporter({ url: `${choice.endpoint}/v1/metrics` });
  } else {
    spanProcessor = new traceSdk.SimpleSpanProcessor(new traceSdk.ConsoleSpanExporter());
    metricExporter = new metricsSdk.ConsoleMetricExporter();
  }
  const tracerProvider = new traceSdk.BasicTracerProvider({
    resource,
    spanProcessors: [spanProcessor],
  });
  const meterProvider = new metricsSdk.MeterProvider({
    resource,
    readers: [
      new metricsSdk.PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: choice.metricIntervalMs,
        exportTimeoutMillis: Math.min(choice.metricIntervalMs, 30_000),
      }),
    ],
  });
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);

  let stopping: Promise<void> | undefined;
  return {
    mode: choice.mode,
    description: choice.mode === 'otlp' ? `OTLP/HTTP to ${choice.endpoint}` : 'console',
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown() {
      stopping ??= (async () => {
        await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
        // Unregister, so a later app in the same process can register its own providers.
        api.trace.disable();
        api.metrics.disable();
      })();
      return stopping;
    },
  };
}
