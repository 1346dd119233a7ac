/**
 * An MCAP file (mcap.dev) written with the official library (@mcap/core): JSON messages whose schemas are JSON
 * Schemas (encoding "jsonschema"), the combination Foxglove opens with no setup. Channels are registered on first
 * use, one per topic. The file is written as it goes (chunked, indexed at the end), so a long session's memory
 * stays one chunk deep; `close()` writes the summary that makes it seekable.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { McapWriter, type IWritable } from '@mcap/core';
import { fsErrorMessage } from '../../io/files.js';

/** Appends to a file descriptor, counting the bytes (the position @mcap/core asks for). */
class FileWritable implements IWritable {
  private offset = 0n;
  constructor(private readonly fd: number) {}
  async write(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.length) done += writeSync(this.fd, buffer, done, buffer.length - done);
    this.offset += BigInt(buffer.length);
  }
  position(): bigint {
    return this.offset;
  }
}

export class McapFile {
  private readonly writer: McapWriter;
  private readonly fd: number;
  private readonly channels = new Map<string, number>();
  private readonly schemas = new Map<string, number>();
  private closed = false;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
    this.writer = new McapWriter({ writable: new FileWritable(fd), useChunks: true, useStatistics: true, useSummaryOffsets: true });
  }

  /** Creates (or replaces) the file and writes the MCAP header. */
  static async create(path: string, profile = ''): Promise<McapFile> {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(fsErrorMessage(path, 'cannot create the MCAP file', e));
    }
    const f = new McapFile(path, fd);
    await f.writer.start({ profile, library: 'vla-sim (@mcap/core)' });
    return f;
  }

  /** Writes one JSON message (bytes already base64 text) on `topic` at `logTimeNs`, registering its schema and channel the first time. */
  async write(topic: string, schemaName: string, schema: object, logTimeNs: bigint, message: object): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: written after close`);
    let channelId = this.channels.get(topic);
    if (channelId === undefined) {
      let schemaId = this.schemas.get(schemaName);
      if (schemaId === undefined) {
        schemaId = await this.writer.registerSchema({ name: schemaName, encoding: 'jsonschema', data: new TextEncoder().encode(JSON.stringify(schema)) });
        this.schemas.set(schemaName, schemaId);
      }
      channelId = await this.writer.registerChannel({ topic, schemaId, messageEncoding: 'json', metadata: new Map() });
      this.channels.set(topic, channelId);
    }
    const data = new TextEncoder().encode(JSON.stringify(message));
    await this.writer.addMessage({ channelId, sequence: 0, logTime: logTimeNs, publishTime: logTimeNs, data });
  }

  /** Key-value metadata records (e.g. the policy and seed of a run). */
  async metadata(name: string, values: Record<string, string>): Promise<void> {
    await this.writer.addMetadata({ name, metadata: new Map(Object.entries(values)) });
  }

  /** Writes the summary and footer and closes the file; a second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.end();
    } finally {
      closeSync(this.fd);
    }
  }
}
