/**
 * Parquet tables as LeRobot's files hold them, written with hyparquet-writer (pure JavaScript, no native build).
 *
 * LeRobot writes its parquet through pyarrow from Hugging Face `datasets` / pandas, so its columns are plain
 * scalars (int64, float32, string) and lists of them (a feature of shape [n] is a list of n float32; an episode's
 * `tasks` a list of strings; an image feature's stats a list of lists of lists). This module builds the parquet
 * schema for such columns (the standard 3-level LIST layout every reader understands) and writes the file.
 */
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { writeAtomic } from '../../io/files.js';

/**
 * A column's element type: parquet physical type plus the UTF8 annotation for strings; 'image' is the struct
 * {bytes: binary, path: string} that Hugging Face datasets' Image feature (LeRobot's dtype "image") stores.
 */
export type ScalarKind = 'int64' | 'float32' | 'float64' | 'string' | 'bool' | 'image';

/** A column: scalars (depth 0), lists of scalars (depth 1), lists of lists (depth 2), ... */
export interface TableColumn {
  name: string;
  kind: ScalarKind;
  /** List nesting depth: 0 for a scalar column. */
  depth: number;
  /** One value per row: a scalar, or nested arrays `depth` deep. */
  data: unknown[];
}

function leaf(name: string, kind: ScalarKind): SchemaElement {
  switch (kind) {
    case 'int64':
      return { name, type: 'INT64', repetition_type: 'REQUIRED' };
    case 'float32':
      return { name, type: 'FLOAT', repetition_type: 'REQUIRED' };
    case 'float64':
      return { name, type: 'DOUBLE', repetition_type: 'REQUIRED' };
    case 'bool':
      return { name, type: 'BOOLEAN', repetition_type: 'REQUIRED' };
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' };
    case 'image':
      throw new Error(`parquet column ${name}: an image column is a struct (imageSchema)`);
  }
}

/** The Image struct: encoded image bytes, and the file name they came from (null: none). */
function imageSchema(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
}

/** The schema elements of one column: `depth` LIST groups (group > repeated "list" > "element"), then the leaf. */
function columnSchema(c: TableColumn): SchemaElement[] {
  if (c.kind === 'image') {
    if (c.depth !== 0) throw new Error(`parquet column ${c.name}: lists of images are not written`);
    return imageSchema(c.name);
  }
  const out: SchemaElement[] = [];
  let name = c.name;
  for (let d = 0; d < c.depth; d++) {
    // The outermost group is the column; nested lists hang under "element" as pyarrow names them.
    out.push({ name, repetition_type: d === 0 ? 'OPTIONAL' : 'REQUIRED', converted_type: 'LIST', num_children: 1 });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    name = 'element';
  }
  out.push(leaf(name, c.kind));
  return out;
}

/** int64 values go to the writer as bigint, at any list depth. */
function toBigInt(v: unknown): unknown {
  return Array.isArray(v) ? v.map(toBigInt) : BigInt(v as number);
}

/** Parquet bytes of the columns (all of one length), with optional key-value metadata (pandas' index, for one). */
export function parquetBytes(columns: readonly TableColumn[], kvMetadata: Record<string, string> = {}): Uint8Array {
  const rows = columns[0]?.data.length ?? 0;
  for (const c of columns) {
    if (c.data.length !== rows) throw new Error(`parquet column ${c.name}: ${c.data.length} rows, expected ${rows}`);
  }
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }, ...columns.flatMap(columnSchema)];
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema,
    columnData: columns.map((c) => ({ name: c.name, data: c.kind === 'int64' ? c.data.map(toBigInt) : c.data })),
    // Only when there is some: an empty list is written with no element type, which arrow-rs readers reject.
    ...(Object.keys(kvMetadata).length ? { kvMetadata: Object.entries(kvMetadata).map(([key, value]) => ({ key, value })) } : {}),
    createdBy: 'vla-sim (hyparquet-writer)',
    rowGroupSize: 100_000,
  } as Parameters<typeof parquetWrite>[0]);
  return new Uint8Array(writer.getBuffer());
}

/** Writes the table to `path` atomically (a crash leaves the old file or none). */
export function writeParquet(path: string, columns: readonly TableColumn[], kvMetadata: Record<string, string> = {}): void {
  writeAtomic(path, parquetBytes(columns, kvMetadata));
}
