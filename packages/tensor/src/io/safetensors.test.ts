import { describe, expect, it } from 'vitest';
import {
  float16ToFloat32,
  float32ToFloat16,
  parseSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  type TensorToWrite,
} from './safetensors.ts';

const FILE = 'bad.safetensors';
const enc = new TextEncoder();

/** Builds a file by hand: u64 LE length, the header text (padded with spaces to `pad`), then the data bytes. */
function build(
  header: string | object,
  data: ArrayLike<number> = [],
  opts: { length?: bigint; pad?: number } = {},
) {
  const text = typeof header === 'string' ? enc.encode(header) : enc.encode(JSON.stringify(header));
  const padded = Math.ceil(text.length / (opts.pad ?? 1)) * (opts.pad ?? 1);
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(padded), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + padded);
  out.set(Array.from(data), 8 + padded);
  return out;
}

const bytesOf = (a: ArrayBufferView): number[] =>
  Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const headerText = (file: Uint8Array): string => {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(file.subarray(8, 8 + n));
};
const parseBad = (file: Uint8Array) => () => parseSafetensors(file, { fileName: FILE });
const err = (re: string): RegExp => new RegExp(`^safetensors: bad\\.safetensors: ${re}`);

describe('serializeSafetensors / parseSafetensors round trips', () => {
  it('F32, the default for a Float32Array', () => {
    const data = new Float32Array([1.5, -2, 3.25, 1e-30, Number.POSITIVE_INFINITY, -0]);
    const back = parseSafetensors(serializeSafetensors({ w: { shape: [2, 3], data } })).tensors.get('w')!;
    expect(back).toEqual({ dtype: 'float32', shape: [2, 3], data, sourceDType: 'F32' });
    expect(Object.is(back.data[5], -0)).toBe(true);
  });

  it('F16 (values exactly representable, and one that rounds)', () => {
    const data = new Float32Array([1, -2, 65504, 2 ** -24, 0.1]);
    const file = serializeSafetensors({ h: { shape: [5], data, dtype: 'F16' } });
    expect(bytesOf(file.subarray(file.length - 10))).toEqual([
      0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x66, 0x2e,
    ]);
    const back = parseSafetensors(file).tensors.get('h')!;
    expect(back.sourceDType).toBe('F16');
    expect(back.dtype).toBe('float32');
    expect([...back.data]).toEqual([1, -2, 65504, 2 ** -24, 0.0999755859375]);
  });

  it('BF16', () => {
    const data = new Float32Array([1, -2, 3.140625, Number.NEGATIVE_INFINITY]);
    const file = serializeSafetensors({ b: { shape: [4], data, dtype: 'BF16' } });
    expect(bytesOf(file.subarray(file.length - 8))).toEqual([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40, 0x80, 0xff]);
    const back = parseSafetensors(file).tensors.get('b')!;
    expect(back).toEqual({ dtype: 'float32', shape: [4], data, sourceDType: 'BF16' });
  });

  it('I32, the default for an Int32Array', () => {
    const data = new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)]);
    const back = parseSafetensors(serializeSafetensors({ i: { shape: [2, 2], data } })).tensors.get('i')!;
    expect(back).toEqual({ dtype: 'int32', shape: [2, 2], data, sourceDType: 'I32' });
  });

  it('I64 (sign-extended on write, range-checked on read)', () => {
    const data = new Int32Array([-100, 5, 2 ** 31 - 1, -(2 ** 31)]);
    const file = serializeSafetensors({ ids: { shape: [4], data, dtype: 'I64' } });
    const raw = file.slice(file.length - 32);
    expect([...new BigInt64Array(raw.buffer)]).toEqual([-100n, 5n, 2n ** 31n - 1n, -(2n ** 31n)]);
    const back = parseSafetensors(file).tensors.get('ids')!;
    expect(back).toEqual({ dtype: 'int32', shape: [4], data, sourceDType: 'I64' });
  });

  it('scalars (shape [])', () => {
    const file = serializeSafetensors({ loss: { shape: [], data: new Float32Array([2.5]) } });
    expect(headerText(file)).toContain('"loss":{"dtype":"F32","shape":[],"data_offsets":[0,4]}');
    expect(parseSafetensors(file).tensors.get('loss')).toEqual({
      dtype: 'float32',
      shape: [],
      data: new Float32Array([2.5]),
      sourceDType: 'F32',
    });
  });

  it('empty tensors (a 0 dim), next to a non-empty one', () => {
    const file = serializeSafetensors({
      a: { shape: [2, 0, 3], data: new Float32Array(0) },
      b: { shape: [0], data: new Int32Array(0), dtype: 'I64' },
      c: { shape: [1], data: new Float32Array([7]) },
    });
    const { tensors } = parseSafetensors(file);
    expect(tensors.get('a')).toEqual({
      dtype: 'float32',
      shape: [2, 0, 3],
      data: new Float32Array(0),
      sourceDType: 'F32',
    });
    expect(tensors.get('b')).toEqual({
      dtype: 'int32',
      shape: [0],
      data: new Int32Array(0),
      sourceDType: 'I64',
    });
    expect(tensors.get('c')!.data).toEqual(new Float32Array([7]));
  });

  it('a file with no tensors', () => {
    const file = serializeSafetensors({});
    expect(headerText(file)).toBe('{"__metadata__":{"format":"pt"}}');
    expect(file.length).toBe(8 + 32);
    expect(parseSafetensors(file).tensors.size).toBe(0);
  });

  it('metadata: default {"format":"pt"}, custom (unicode, escapes, "__proto__"), and null for none', () => {
    const t = { x: { shape: [1], data: new Float32Array([1]) } };
    expect(parseSafetensors(serializeSafetensors(t)).metadata).toEqual({ format: 'pt' });
    const custom = JSON.parse('{"format":"np","note":"é \\"q\\" \\n\\u0001 😀","__proto__":"p"}') as Record<
      string,
      string
    >;
    const file = serializeSafetensors(t, custom);
    expect(
      headerText(file).startsWith(
        '{"__metadata__":{"format":"np","note":"é \\"q\\" \\n\\u0001 😀","__proto__":"p"},',
      ),
    ).toBe(true);
    const meta = parseSafetensors(file).metadata;
    expect(Object.entries(meta)).toEqual([
      ['format', 'np'],
      ['note', 'é "q" \n\u0001 😀'],
      ['__proto__', 'p'],
    ]);
    const none = serializeSafetensors(t, null);
    expect(headerText(none).trimEnd()).toBe('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    expect(parseSafetensors(none).metadata).toEqual({});
  });

  it('accepts a Map and a misaligned Float32Array view; never aliases the input bytes', () => {
    const backing = new Float32Array([9, 1, 2, 3]);
    const file = serializeSafetensors(new Map([['v', { shape: [3], data: backing.subarray(1) }]]));
    // Parse from an odd byte offset so the F32 data is misaligned.
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const view = shifted.subarray(1);
    const v = parseSafetensors(view).tensors.get('v')!;
    expect(v.data).toEqual(new Float32Array([1, 2, 3]));
    view.fill(0, view.length - 12);
    expect(v.data).toEqual(new Float32Array([1, 2, 3]));
  });
});

describe('serializeSafetensors writes what the safetensors library writes', () => {
  it('exact bytes of a small file: sort by dtype alignment descending then name, padding with spaces', () => {
    const file = serializeSafetensors({
      zz: { shape: [1], data: new Float32Array([1]) },
      b: { shape: [2], data: new Float32Array([1, 2]), dtype: 'F16' },
      a: { shape: [1], data: new Int32Array([-1]), dtype: 'I64' },
      c: { shape: [1], data: new Int32Array([3]) },
      y: { shape: [1], data: new Float32Array([1]), dtype: 'BF16' },
      A: { shape: [1], data: new Float32Array([2]) },
    });
    const expected =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
      '"A":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"zz":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
      '"c":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
      '"y":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},' +
      '"b":{"dtype":"F16","shape":[2],"data_offsets":[22,26]}}';
    // The JSON above is 361 bytes, padded with 7 spaces to 368 = 0x170.
    expect(enc.encode(expected).length).toBe(361);
    expect(headerText(file)).toBe(`${expected}       `);
    expect([...file.subarray(0, 8)]).toEqual([0x70, 0x01, 0, 0, 0, 0, 0, 0]);
    expect(bytesOf(file.subarray(8 + 368))).toEqual([
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // a: I64 -1
      ...[0x00, 0x00, 0x00, 0x40], // A: F32 2
      ...[0x00, 0x00, 0x80, 0x3f], // zz: F32 1
      ...[0x03, 0x00, 0x00, 0x00], // c: I32 3
      ...[0x80, 0x3f], // y: BF16 1
      ...[0x00, 0x3c, 0x00, 0x40], // b: F16 1, 2
    ]);
  });

  it('orders names by UTF-8 bytes (code points), not UTF-16 units', () => {
    const one = { shape: [1], data: new Float32Array([1]) };
    // U+FFFD sorts before U+1F600 in UTF-8, after it in UTF-16 (0xD83D < 0xFFFD).
    const file = serializeSafetensors({ '😀': one, '\uFFFD': one, 'a.10': one, 'a.9': one, 'a.1': one });
    const names = [...readSafetensorsHeader(file).entries.keys()];
    expect(names).toEqual(['a.1', 'a.10', 'a.9', '\uFFFD', '😀']);
    expect(headerText(file).indexOf('\uFFFD')).toBeLessThan(headerText(file).indexOf('😀'));
  });

  it('rejects bad input', () => {
    const ok = { shape: [1], data: new Float32Array([1]) };
    expect(() => serializeSafetensors({ __metadata__: ok })).toThrow(
      /^safetensors: serialize: .*__metadata__/,
    );
    expect(() => serializeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /^safetensors: serialize: tensor 'w': shape \[2,2\] has 4 elements but data has 3/,
    );
    expect(() => serializeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } })).toThrow(
      /tensor 'w': shape/,
    );
    expect(() => serializeSafetensors({ w: { shape: [1], data: new Int32Array(1), dtype: 'F16' } })).toThrow(
      /tensor 'w': cannot write a Int32Array as F16/,
    );
    expect(() =>
      serializeSafetensors({ w: { shape: [1], data: new Float32Array(1), dtype: 'I64' } }),
    ).toThrow(/tensor 'w': cannot write a Float32Array as I64/);
    expect(() =>
      serializeSafetensors({
        w: { shape: [1], data: [1] as unknown as Float32Array } satisfies TensorToWrite,
      }),
    ).toThrow(/tensor 'w': data must be/);
    expect(() => serializeSafetensors({ w: ok }, { n: 1 as unknown as string })).toThrow(
      /metadata value for key 'n' must be a string/,
    );
    expect(() => serializeSafetensors({ '\uD800': ok })).toThrow(/not valid Unicode/);
  });
});

describe('parseSafetensors reads every dtype', () => {
  it('F64, I16, I8, U8, BOOL (built by hand)', () => {
    const f64 = new Float64Array([1.5, -0.1, 1e300]);
    const i16 = new Int16Array([-32768, 32767, -1]);
    const data = [...bytesOf(f64), ...bytesOf(i16), 0x80, 0x7f, 0xff, 0x80, 0x01, 0x00];
    const file = build(
      {
        f: { dtype: 'F64', shape: [3], data_offsets: [0, 24] },
        s: { dtype: 'I16', shape: [3], data_offsets: [24, 30] },
        i: { dtype: 'I8', shape: [2], data_offsets: [30, 32] },
        u: { dtype: 'U8', shape: [2], data_offsets: [32, 34] },
        b: { dtype: 'BOOL', shape: [2], data_offsets: [34, 36] },
      },
      data,
    );
    const { tensors } = parseSafetensors(file);
    expect(tensors.get('f')).toEqual({
      dtype: 'float32',
      shape: [3],
      data: new Float32Array([1.5, Math.fround(-0.1), Number.POSITIVE_INFINITY]),
      sourceDType: 'F64',
    });
    expect(tensors.get('s')).toEqual({
      dtype: 'int32',
      shape: [3],
      data: new Int32Array([-32768, 32767, -1]),
      sourceDType: 'I16',
    });
    expect(tensors.get('i')).toEqual({
      dtype: 'int32',
      shape: [2],
      data: new Int32Array([-128, 127]),
      sourceDType: 'I8',
    });
    expect(tensors.get('u')).toEqual({
      dtype: 'int32',
      shape: [2],
      data: new Int32Array([255, 128]),
      sourceDType: 'U8',
    });
    expect(tensors.get('b')).toEqual({
      dtype: 'int32',
      shape: [2],
      data: new Int32Array([1, 0]),
      sourceDType: 'BOOL',
    });
  });

  it('F16 and BF16 written by hand', () => {
    const file = build(
      {
        h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
      },
      [0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc, 0x80, 0x3f, 0x49, 0x40],
    );
    const { tensors } = parseSafetensors(file);
    expect([...tensors.get('h')!.data]).toEqual([1, 2 ** -24, Number.NEGATIVE_INFINITY]);
    expect([...tensors.get('b')!.data]).toEqual([1, 3.140625]);
  });

  it('returns tensors in data-offset order whatever the header key order, and reads a padded header', () => {
    const file = build(
      {
        second: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        first: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      },
      [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40],
      { pad: 8 },
    );
    const { tensors } = parseSafetensors(file);
    expect([...tensors.keys()]).toEqual(['first', 'second']);
    expect(tensors.get('second')!.data).toEqual(new Float32Array([2]));
  });

  it('`names` loads only those tensors, in that order', () => {
    const file = serializeSafetensors({
      a: { shape: [1], data: new Float32Array([1]) },
      b: { shape: [1], data: new Int32Array([2]), dtype: 'I64' },
      c: { shape: [1], data: new Float32Array([3]) },
    });
    const { tensors } = parseSafetensors(file, { names: ['c', 'b'] });
    expect([...tensors.keys()]).toEqual(['c', 'b']);
    expect(tensors.get('b')!.data).toEqual(new Int32Array([2]));
    expect(() => parseSafetensors(file, { fileName: FILE, names: ['a', 'missing'] })).toThrow(
      err("tensor 'missing' not found \\(the file has 3 tensors: b, a, c\\)"),
    );
  });

  it('an I64 value outside int32 names the file and the tensor (loading other tensors still works)', () => {
    for (const v of [2n ** 31n, -(2n ** 31n) - 1n, 2n ** 62n]) {
      const file = build(
        {
          ok: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          ids: { dtype: 'I64', shape: [2], data_offsets: [4, 20] },
        },
        [0, 0, 0, 0, ...bytesOf(new BigInt64Array([1n, v]))],
      );
      expect(parseBad(file)).toThrow(err(`tensor 'ids': I64 value ${v} at index 1 does not fit in int32`));
      expect(parseSafetensors(file, { names: ['ok'] }).tensors.size).toBe(1);
    }
  });

  it('BOOL bytes other than 0/1 are rejected', () => {
    const file = build({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, [1, 2]);
    expect(parseBad(file)).toThrow(err("tensor 'm': BOOL byte 2 at index 1 is not 0 or 1"));
  });
});

describe('readSafetensorsHeader', () => {
  const file = serializeSafetensors(
    {
      w: { shape: [2, 3], data: new Float32Array(6) },
      ids: { shape: [2], data: new Int32Array(2), dtype: 'I64' },
    },
    { format: 'pt', k: 'v' },
  );

  it('returns the header length, the entries in offset order and the metadata', () => {
    const h = readSafetensorsHeader(file);
    expect(h.headerLength % 8).toBe(0);
    expect(h.headerLength).toBe(Number(new DataView(file.buffer).getBigUint64(0, true)));
    expect([...h.entries]).toEqual([
      ['ids', { dtype: 'I64', shape: [2], begin: 0, end: 16 }],
      ['w', { dtype: 'F32', shape: [2, 3], begin: 16, end: 40 }],
    ]);
    expect(h.metadata).toEqual({ format: 'pt', k: 'v' });
    expect(8 + h.headerLength + 40).toBe(file.length);
  });

  it('accepts a prefix of the file with fileSize (streamed loading)', () => {
    const h = readSafetensorsHeader(file.subarray(0, file.length - 40), { fileSize: file.length });
    expect(h.entries.get('w')!.end).toBe(40);
    expect(() =>
      readSafetensorsHeader(file.subarray(0, 20), { fileName: FILE, fileSize: file.length }),
    ).toThrow(err('the \\d+-byte header is not within the 20 bytes given'));
    expect(() =>
      readSafetensorsHeader(file.subarray(0, file.length - 40), {
        fileName: FILE,
        fileSize: file.length - 1,
      }),
    ).toThrow(err("tensor 'w': data_offsets \\[16, 40\\] end past the data section \\(39 bytes\\)"));
  });
});

describe('corrupt files: each failure names the file and the problem', () => {
  const f32 = (begin: number, end: number, shape: number[] = [(end - begin) / 4]) => ({
    dtype: 'F32',
    shape,
    data_offsets: [begin, end],
  });

  it('default file name is <bytes>', () => {
    expect(() => parseSafetensors(new Uint8Array(3))).toThrow(/^safetensors: <bytes>: file is 3 bytes/);
  });

  it('file shorter than 8 bytes', () => {
    expect(parseBad(new Uint8Array(7))).toThrow(
      err('file is 7 bytes, shorter than the 8-byte header length prefix'),
    );
    expect(parseBad(new Uint8Array(0))).toThrow(err('file is 0 bytes'));
  });

  it('header length 0', () => {
    expect(parseBad(new Uint8Array(8))).toThrow(err('header length is 0'));
  });

  it('header length past the end of the file', () => {
    expect(parseBad(build('{}', [], { length: 3n }).subarray(0, 10))).toThrow(
      err('header length 3 exceeds the 2 bytes after the length prefix'),
    );
  });

  it('absurd header length (> 100 MB, up to 2^64 - 1, read as a u64)', () => {
    expect(parseBad(build('{}', [], { length: 100_000_001n }))).toThrow(
      err('header length 100000001 exceeds the 100000000-byte limit'),
    );
    expect(parseBad(build('{}', [], { length: 2n ** 64n - 1n }))).toThrow(
      err('header length 18446744073709551615 exceeds'),
    );
    // 2^32 + 2 would read as 2 if only the low word were looked at.
    expect(parseBad(build('{}', [], { length: 2n ** 32n + 2n }))).toThrow(
      err('header length 4294967298 exceeds'),
    );
  });

  it('header not valid UTF-8', () => {
    const file = build('{"a":1}');
    file[10] = 0xff;
    expect(parseBad(file)).toThrow(err('header is not valid UTF-8'));
  });

  it('header not valid JSON (including a byte-order mark, which the Rust library rejects too)', () => {
    expect(parseBad(build('{"a":'))).toThrow(err('header is not valid JSON'));
    expect(parseBad(build('\uFEFF{}'))).toThrow(err('header is not valid JSON'));
    expect(parseBad(build('{}\0\0'))).toThrow(err('header is not valid JSON'));
  });

  it.each([
    ['[]', 'an array'],
    ['null', 'null'],
    ['3', 'number'],
    ['"x"', 'string'],
  ])('header %s is not an object', (text, what) => {
    expect(parseBad(build(text))).toThrow(err(`header must be a JSON object, got ${what}`));
  });

  it.each(['dtype', 'shape', 'data_offsets'])('entry lacking %s', (key) => {
    const entry: Record<string, unknown> = f32(0, 4);
    delete entry[key];
    expect(parseBad(build({ t: entry }, [0, 0, 0, 0]))).toThrow(err(`tensor 't': entry lacks "${key}"`));
  });

  it('entries with the wrong types', () => {
    expect(parseBad(build({ t: 5 }))).toThrow(err("tensor 't': entry must be an object, got 5"));
    expect(parseBad(build({ t: [1] }))).toThrow(err("tensor 't': entry must be an object"));
    expect(parseBad(build({ t: { ...f32(0, 4), dtype: 4 } }, [0, 0, 0, 0]))).toThrow(
      err("tensor 't': dtype must be a string, got 4"),
    );
    expect(parseBad(build({ t: { ...f32(0, 4), shape: '1' } }, [0, 0, 0, 0]))).toThrow(
      err(`tensor 't': shape must be an array of non-negative integers, got "1"`),
    );
    expect(parseBad(build({ t: { ...f32(0, 4), shape: ['1'] } }, [0, 0, 0, 0]))).toThrow(
      err("tensor 't': shape must be"),
    );
    expect(parseBad(build({ t: { ...f32(0, 4), data_offsets: '0,4' } }, [0, 0, 0, 0]))).toThrow(
      err("tensor 't': data_offsets must be \\[begin, end\\]"),
    );
  });

  it.each(['F8_E4M3', 'U16', 'f32', 'FLOAT'])('unknown dtype %s', (dtype) => {
    expect(parseBad(build({ t: { ...f32(0, 4), dtype } }, [0, 0, 0, 0]))).toThrow(
      err(`tensor 't': unknown or unsupported dtype '${dtype}'`),
    );
  });

  it.each([
    ['negative', '[-1]'],
    ['non-integer', '[1.5]'],
    ['unsafe (2^53)', '[9007199254740992]'],
    ['null', '[null]'],
  ])('%s dim', (_, shape) => {
    const file = build(`{"t":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`, [0, 0, 0, 0]);
    expect(parseBad(file)).toThrow(
      err(
        `tensor 't': shape must be an array of non-negative integers, got ${shape.replace(/[[\]]/g, '\\$&')}`,
      ),
    );
  });

  it.each([
    ['begin > end', '[4,0]'],
    ['one number', '[0]'],
    ['three numbers', '[0,4,8]'],
    ['non-integer', '[0,3.5]'],
    ['negative', '[-4,0]'],
    ['unsafe', '[0,18446744073709551616]'],
  ])('data_offsets %s', (_, offsets) => {
    const file = build(`{"t":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}}`, [0, 0, 0, 0]);
    expect(parseBad(file)).toThrow(
      err("tensor 't': data_offsets must be \\[begin, end\\] integers with 0 <= begin <= end"),
    );
  });

  it('end past the buffer', () => {
    expect(parseBad(build({ t: f32(0, 8) }, [0, 0, 0, 0]))).toThrow(
      err("tensor 't': data_offsets \\[0, 8\\] end past the data section \\(4 bytes\\)"),
    );
  });

  it('a giant shape fails on the size check, without allocating', () => {
    const file = build(
      { t: { dtype: 'F32', shape: [1048576, 1048576, 1048576], data_offsets: [0, 4] } },
      [0, 0, 0, 0],
    );
    expect(parseBad(file)).toThrow(err("tensor 't': shape \\[1048576,1048576,1048576\\] is too large"));
    const file2 = build(
      { t: { dtype: 'F64', shape: [1 << 20, 1 << 10], data_offsets: [0, 2 ** 33] } },
      [0, 0, 0, 0],
    );
    expect(parseBad(file2)).toThrow(
      err("tensor 't': data_offsets \\[0, 8589934592\\] end past the data section"),
    );
  });

  it('byte length differs from product(shape) x itemsize', () => {
    expect(parseBad(build({ t: f32(0, 8, [3]) }, new Array(8).fill(0)))).toThrow(
      err("tensor 't': byte length 8 \\(data_offsets \\[0, 8\\]\\) but shape \\[3\\] x F32 needs 12"),
    );
    expect(parseBad(build({ t: { dtype: 'I64', shape: [], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toThrow(
      err("tensor 't': byte length 4 .* but shape \\[\\] x I64 needs 8"),
    );
  });

  it('overlapping tensors', () => {
    const file = build({ a: f32(0, 8), b: f32(4, 12) }, new Array(12).fill(0));
    expect(parseBad(file)).toThrow(err("tensor 'b' data_offsets \\[4, 12\\] overlap tensor 'a' \\[0, 8\\]"));
    const same = build({ a: f32(0, 4), b: f32(0, 4) }, new Array(4).fill(0));
    expect(parseBad(same)).toThrow(err("tensor 'b' data_offsets \\[0, 4\\] overlap tensor 'a' \\[0, 4\\]"));
  });

  it('a gap between tensors, or before the first', () => {
    const file = build({ a: f32(0, 4), b: f32(8, 12) }, new Array(12).fill(0));
    expect(parseBad(file)).toThrow(
      err("gap in the data section: bytes \\[4, 8\\) before tensor 'b' belong to no tensor"),
    );
    const lead = build({ a: f32(4, 8) }, new Array(8).fill(0));
    expect(parseBad(lead)).toThrow(err("gap in the data section: bytes \\[0, 4\\) before tensor 'a'"));
  });

  it('trailing bytes after the last tensor (the tensors must cover the data section exactly)', () => {
    expect(parseBad(build({ a: f32(0, 4) }, new Array(6).fill(0)))).toThrow(
      err('the tensors cover 4 bytes but the data section is 6 bytes \\(2 trailing bytes\\)'),
    );
    expect(parseBad(build({}, [1]))).toThrow(
      err('the tensors cover 0 bytes but the data section is 1 bytes'),
    );
  });

  it('__metadata__ values must be strings, and __metadata__ must be an object', () => {
    expect(parseBad(build({ __metadata__: { format: 1 } }))).toThrow(
      err("__metadata__ value for key 'format' must be a string, got 1"),
    );
    expect(parseBad(build({ __metadata__: 'pt' }))).toThrow(
      err('__metadata__ must be an object of strings, got "pt"'),
    );
    expect(parseBad(build({ __metadata__: ['pt'] }))).toThrow(
      err('__metadata__ must be an object of strings'),
    );
  });

  it('a tensor named __metadata__ is not a tensor', () => {
    const file = build({ __metadata__: f32(0, 4) }, [0, 0, 0, 0]);
    expect(parseBad(file)).toThrow(err("__metadata__ value for key 'shape' must be a string, got \\[1\\]"));
  });

  it('random corruption never escapes as anything but a safetensors error', () => {
    const good = serializeSafetensors({
      w: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      h: { shape: [2], data: new Float32Array([1, 2]), dtype: 'F16' },
      ids: { shape: [3], data: new Int32Array([-100, 0, 7]), dtype: 'I64' },
    });
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let failures = 0;
    for (let k = 0; k < 3000; k++) {
      let bytes = good.slice();
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      if (rand() < 0.2) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      try {
        const { tensors } = parseSafetensors(bytes, { fileName: FILE });
        for (const t of tensors.values()) expect(t.data.length).toBe(t.shape.reduce((p, d) => p * d, 1));
      } catch (e) {
        failures++;
        expect((e as Error).message).toMatch(/^safetensors: bad\.safetensors: /);
      }
    }
    expect(failures).toBeGreaterThan(0);
  });
});

describe('float16 helpers are re-exported', () => {
  it('float32ToFloat16 / float16ToFloat32', () => {
    expect([...float32ToFloat16(new Float32Array([1]))]).toEqual([0x3c00]);
    expect([...float16ToFloat32(new Uint16Array([0x3c00]))]).toEqual([1]);
  });
});

describe('Node Buffers', () => {
  it('parses a Buffer (whose slice() is a view) into correct, independent tensors', async () => {
    const { Buffer } = await import('node:buffer');
    const bytes = serializeSafetensors({ a: { shape: [3], data: new Float32Array([1, 2, 3]) } });
    // a small Buffer lives inside Node's shared 8 KiB pool, at a non-zero offset
    const buf = Buffer.from(bytes);
    const parsed = parseSafetensors(buf, { fileName: 'buf.safetensors' });
    expect([...parsed.tensors.get('a')!.data]).toEqual([1, 2, 3]);
  });
});
