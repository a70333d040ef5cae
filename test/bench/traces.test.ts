import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAzure, parseAzureTime } from '../../src/bench/traces/azure.js';
import { detectFormat, recordsToWorkload } from '../../src/bench/traces/index.js';
import { parseMooncake } from '../../src/bench/traces/mooncake.js';
import { TraceError } from '../../src/bench/traces/trace-error.js';

const ids = (n: number, from = 0) => JSON.stringify(Array.from({ length: n }, (_, k) => from + k));

test('Mooncake: reads records, rebases and sorts by timestamp', () => {
  const text = [
    `{"timestamp": 1500, "input_length": 1024, "output_length": 7, "hash_ids": ${ids(2)}}`,
    '',
    `{"timestamp": 1000, "input_length": 600, "output_length": 3, "hash_ids": ${ids(2, 5)}}`,
  ].join('\n');
  const records = parseMooncake(text, 'm.jsonl');
  assert.deepEqual(
    records.map((r) => [r.atMs, r.inputTokens, r.outputTokens, r.line]),
    [
      [0, 600, 3, 3],
      [500, 1024, 7, 1],
    ],
  );
  assert.deepEqual(records[0]!.hashIds, [5, 6]);
});

test('Mooncake: a bad line is reported with its file and line number', () => {
  const good = `{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}`;
  const cases: [string, RegExp][] = [
    ['{"timestamp": 0, "input_length": 10', /m\.jsonl:2: not valid JSON/],
    ['{"timestamp": -1, "input_length": 10, "output_length": 1, "hash_ids": [1]}', /m\.jsonl:2: timestamp/],
    ['{"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": [1]}', /m\.jsonl:2: input_length/],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": "x", "hash_ids": [1]}',
      /m\.jsonl:2: output_length/,
    ],
    [
      '{"timestamp": 0, "input_length": 1000, "output_length": 1, "hash_ids": [1]}',
      /m\.jsonl:2: hash_ids has 1 ids/,
    ],
    [
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1.5]}',
      /m\.jsonl:2: hash_ids\[0\]/,
    ],
    ['[1, 2]', /m\.jsonl:2: expected a JSON object/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(
      () => parseMooncake(`${good}\n${bad}\n`, 'm.jsonl'),
      (err: unknown) => err instanceof TraceError && err.line === 2 && message.test(err.message),
      bad,
    );
  }
  assert.throws(() => parseMooncake('\n\n', 'm.jsonl'), /no requests/);
});

test('Azure: reads timestamps with 100 ns precision, relative to the first request', () => {
  const text = [
    'TIMESTAMP,ContextTokens,GeneratedTokens',
    '2023-11-16 18:15:46.6805900,374,44',
    '2023-11-16 18:15:50.9951690,396,109',
    '2023-11-16 18:16:00,10,1',
  ].join('\n');
  const records = parseAzure(text, 'a.csv');
  assert.equal(records.length, 3);
  assert.equal(records[0]!.atMs, 0);
  assert.ok(Math.abs(records[1]!.atMs - 4314.579) < 1e-3, String(records[1]!.atMs));
  assert.ok(Math.abs(records[2]!.atMs - 13319.41) < 1e-3);
  assert.deepEqual([records[1]!.inputTokens, records[1]!.outputTokens], [396, 109]);
  assert.equal(parseAzureTime('2023-11-16 18:15:46'), Date.UTC(2023, 10, 16, 18, 15, 46));
  assert.equal(parseAzureTime('yesterday'), undefined);
});

test('Azure: header and line errors carry line numbers', () => {
  assert.throws(() => parseAzure('time,a,b\n', 'a.csv'), /a\.csv:1: expected the header/);
  const head = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\n';
  assert.throws(() => parseAzure(`${head}2023-11-16 18:15:47,5\n`, 'a.csv'), /a\.csv:3: expected 3 columns/);
  assert.throws(() => parseAzure(`${head}soon,5,5\n`, 'a.csv'), /a\.csv:3: TIMESTAMP/);
  assert.throws(() => parseAzure(`${head}2023-11-16 18:15:47,-5,5\n`, 'a.csv'), /a\.csv:3: ContextTokens/);
});

test('trace records become requests: Mooncake blocks kept, Azure text unique per request', () => {
  const moon = recordsToWorkload('m', [
    { atMs: 0, inputTokens: 700, outputTokens: 5, hashIds: [3, 4], line: 1 },
  ]);
  assert.deepEqual(moon.requests[0]!.messages[0]!.content, { blocks: [3, 4], tokens: 700 });
  const azure = recordsToWorkload('a', [
    { atMs: 0, inputTokens: 700, outputTokens: 5, line: 2 },
    { atMs: 1, inputTokens: 700, outputTokens: 5, line: 3 },
  ]);
  const [a, b] = azure.requests.map((r) => r.messages[0]!.content.blocks);
  assert.equal(a!.length, 2);
  assert.ok(a!.every((id) => !b!.includes(id)));
  assert.equal(detectFormat('x/y.jsonl'), 'mooncake');
  assert.equal(detectFormat('x/y.CSV'), 'azure');
  assert.throws(() => detectFormat('x/y.txt'), /cannot tell/);
});
