import bunyan from 'bunyan';
import { Writable } from 'node:stream';
import { redact } from './redact.js';

/** The narrow logger every part of MultiNIC takes; bunyan's Logger satisfies it. */
export interface Log {
  trace(obj: object | string, msg?: string, ...args: unknown[]): void;
  debug(obj: object | string, msg?: string, ...args: unknown[]): void;
  info(obj: object | string, msg?: string, ...args: unknown[]): void;
  warn(obj: object | string, msg?: string, ...args: unknown[]): void;
  error(obj: object | string, msg?: string, ...args: unknown[]): void;
  child(fields: Record<string, unknown>): Log;
}

export type LogFormat = 'json' | 'text';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const BASE_FIELDS = new Set(['name', 'hostname', 'pid', 'level', 'msg', 'time', 'v', 'src']);

/** One readable line: `07:21:03.123 INFO  publisher: published event portId=… node=…`. */
export function formatText(rec: Record<string, unknown>): string {
  const time = rec.time instanceof Date ? rec.time.toISOString().slice(11, 23) : String(rec.time ?? '').slice(11, 23);
  const level = bunyan.nameFromLevel[rec.level as number]?.toUpperCase() ?? String(rec.level);
  const fields = Object.entries(rec)
    .filter(([k]) => !BASE_FIELDS.has(k) && k !== 'err')
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  const err = rec.err as { message?: string; stack?: string } | undefined;
  const errText = err ? `\n    ${(rec.level as number) >= bunyan.ERROR ? err.stack ?? err.message : err.message}` : '';
  return `${time} ${level.padEnd(5)} ${rec.name}: ${rec.msg}${fields.length ? ` ${fields.join(' ')}` : ''}${errText}\n`;
}

/** A bunyan raw stream that redacts each record and writes it as JSON or text. */
class RedactingStream extends Writable {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: LogFormat,
  ) {
    super({ objectMode: true });
  }
  override _write(rec: Record<string, unknown>, _enc: BufferEncoding, done: () => void): void {
    const clean = redact(rec) as Record<string, unknown>;
    clean.time = rec.time;
    this.out.write(this.format === 'text' ? formatText(clean) : `${JSON.stringify(clean)}\n`);
    done();
  }
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  format?: LogFormat;
  /** Defaults to stderr for text and stdout for JSON. */
  out?: NodeJS.WritableStream;
  /** Extra raw streams, e.g. a bunyan.RingBuffer in tests. */
  extraStreams?: bunyan.Stream[];
}

/** Builds the process logger once in the entry point; everything else gets children of it. */
export function createLogger({ name, level = 'info', format = 'json', out, extraStreams = [] }: LoggerOptions): bunyan {
  const stream = new RedactingStream(out ?? (format === 'text' ? process.stderr : process.stdout), format);
  return bunyan.createLogger({
    name,
    serializers: { err: bunyan.stdSerializers.err },
    streams: [{ type: 'raw', level, stream }, ...extraStreams],
  });
}

/** A logger that keeps the last `limit` records in memory, for tests and the demo. */
export function createRingLogger(name = 'test', limit = 2000): { log: bunyan; records: () => Array<Record<string, unknown>> } {
  const ring = new bunyan.RingBuffer({ limit });
  const log = bunyan.createLogger({ name, streams: [{ type: 'raw', level: 'trace', stream: ring }], serializers: { err: bunyan.stdSerializers.err } });
  return { log, records: () => ring.records as Array<Record<string, unknown>> };
}
