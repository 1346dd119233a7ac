/** Test helper: an MCAP file's messages read with @mcap/core's indexed reader, by topic, decoded from JSON. */
import { readFileSync } from 'node:fs';
import { McapIndexedReader, type TypedMcapRecords } from '@mcap/core';

/** Reads every message of an MCAP file with @mcap/core's indexed reader, grouped by topic and decoded from JSON. */
export async function readMcap(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  const reader = await McapIndexedReader.Initialize({
    readable: { size: async () => BigInt(bytes.length), read: async (offset: bigint, size: bigint) => bytes.subarray(Number(offset), Number(offset + size)) },
  });
  const byTopic = new Map<string, { times: bigint[]; messages: any[]; schema: TypedMcapRecords['Schema'] }>();
  for await (const m of reader.readMessages()) {
    const channel = reader.channelsById.get(m.channelId)!;
    const schema = reader.schemasById.get(channel.schemaId)!;
    const entry = byTopic.get(channel.topic) ?? { times: [], messages: [], schema };
    entry.times.push(m.logTime);
    entry.messages.push(JSON.parse(new TextDecoder().decode(m.data)));
    byTopic.set(channel.topic, entry);
  }
  return { reader, byTopic };
}

