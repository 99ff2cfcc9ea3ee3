// Parquet writing, for the mini datasets (benchmarks/mini/build.ts) and test fixtures, in the Hugging Face schemas of
// the five benchmarks. A module apart from the reading (parquet.ts), which every command's start-up loads: the writer
// package is loaded only where data is written.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic } from '../../src/util/fs.ts';

/** Column kinds used by the Hugging Face schemas of the five benchmarks. */
export type ColumnKind = 'string' | 'int64' | 'int32' | 'double' | 'bool' | 'image' | 'image_list' | 'string_list' | 'struct';

/** A field of a 'struct' column (e.g. MathVista's `metadata`): a scalar leaf or a list of strings. */
export interface StructField {
  name: string;
  kind: 'string' | 'int64' | 'int32' | 'double' | 'bool' | 'string_list';
}

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  data: unknown[];
  /** Required for kind 'struct': the fields, in order; `data` holds plain objects (or null). */
  fields?: StructField[];
}

type SchemaElement = Record<string, unknown>;

function leaf(name: string, kind: Exclude<ColumnKind, 'image' | 'image_list' | 'string_list' | 'struct'>): SchemaElement {
  const base = { name, repetition_type: 'OPTIONAL' };
  switch (kind) {
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'int64':
      return { ...base, type: 'INT64' };
    case 'int32':
      return { ...base, type: 'INT32' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'bool':
      return { ...base, type: 'BOOLEAN' };
  }
}

function imageStruct(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
}

function stringList(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    leaf('element', 'string'),
  ];
}

function structFields(col: ColumnSpec): StructField[] {
  if (!col.fields || col.fields.length === 0) throw new Error(`struct column '${col.name}' needs fields`);
  return col.fields;
}

function schemaFor(col: ColumnSpec): SchemaElement[] {
  switch (col.kind) {
    case 'struct': {
      const fields = structFields(col);
      const out: SchemaElement[] = [{ name: col.name, repetition_type: 'OPTIONAL', num_children: fields.length }];
      for (const f of fields) out.push(...(f.kind === 'string_list' ? stringList(f.name) : [leaf(f.name, f.kind)]));
      return out;
    }
    case 'image':
      return imageStruct(col.name);
    case 'image_list':
      return [
        { name: col.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...imageStruct('element'),
      ];
    case 'string_list':
      return stringList(col.name);
    default:
      return [leaf(col.name, col.kind)];
  }
}

/** Encodes columns to parquet bytes with an explicit schema (structs and lists as Hugging Face writes them). */
export function encodeParquet(columns: ColumnSpec[]): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }];
  for (const c of columns) schema.push(...schemaFor(c));
  const toInt64 = (v: unknown) => (v == null ? null : BigInt(v as number));
  const data = columns.map((c) => {
    if (c.kind === 'int64') return { name: c.name, data: c.data.map(toInt64) };
    if (c.kind === 'struct') {
      const int64Fields = structFields(c).filter((f) => f.kind === 'int64').map((f) => f.name);
      const rows = c.data.map((row) => {
        if (row == null || int64Fields.length === 0) return row;
        const copy: Record<string, unknown> = { ...(row as Record<string, unknown>) };
        for (const f of int64Fields) copy[f] = toInt64(copy[f]);
        return copy;
      });
      return { name: c.name, data: rows };
    }
    return { name: c.name, data: c.data };
  });
  const buf = parquetWriteBuffer({ columnData: data, schema } as never) as ArrayBuffer;
  return new Uint8Array(buf);
}

/** Writes a parquet file atomically (temporary name, then rename). */
export function writeParquet(file: string, columns: ColumnSpec[]): void {
  writeFileAtomic(file, encodeParquet(columns));
}
