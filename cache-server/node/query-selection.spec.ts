import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { DatasetStore } from '../storage/dataset-store.js';
import type { DatasetSnapshot } from '../storage/dataset-store.js';
import { ipcMessages, sampleTable } from '../storage/testing/arrow-fixtures.js';
import { planFor, selectionOf, type Selection } from './query-selection.js';

const BATCHES = 40;
const ROWS = 7;

/** The sample table (ids 0..279, label 'even'/'odd' from a dictionary per batch) stored as 40 batches of 7 rows. */
function dataset(): DatasetSnapshot {
  const store = new DatasetStore();
  const { schema, messages } = ipcMessages(sampleTable(BATCHES, ROWS));
  const tx = store.beginPut('ids', schema);
  for (const m of messages) tx.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
  tx.commit();
  return store.get('ids')!;
}

/** A selection as the ids of its rows. */
const idsOf = (selection: Selection): number[] => selection.rows.flatMap((rows, i) => [...rows].map((row) => selection.stored[i]! * ROWS + row));

test('a filter selects the same rows in stored order with no LIMIT and with LIMITs that end inside any scan of batches', () => {
  const data = dataset();
  const plan = planFor(data, { filter: "id % 3 = 0 AND label = 'even'" });
  const every = Array.from({ length: BATCHES * ROWS }, (_, id) => id).filter((id) => id % 6 === 0);
  const all = selectionOf(data, plan);
  assert.deepEqual(idsOf(all), every);
  assert.equal(all.total, every.length);
  assert.deepEqual([...all.stored], [...new Set(every.map((id) => Math.floor(id / ROWS)))]);
  for (const limit of [1, 9, 10, 25, 40, every.length, every.length + 5]) {
    const limited = selectionOf(data, plan, limit);
    assert.deepEqual(idsOf(limited), every.slice(0, limit), `LIMIT ${limit}`);
  }
});

test('an evaluation error is raised when the batch it lies in is reached, and not when the LIMIT is met before that batch', () => {
  const data = dataset();
  // Id 200 (batch 28, rows 196..202) divides by zero; every id before it is selected.
  const plan = planFor(data, { filter: '100 / (id - 200) > -1000' });
  assert.deepEqual(idsOf(selectionOf(data, plan, 196)), Array.from({ length: 196 }, (_, id) => id));
  for (const limit of [undefined, 197]) {
    assert.throws(() => selectionOf(data, plan, limit), (error: Error & { code?: number }) => {
      assert.equal(error.code, Code.INVALID_ARGUMENT);
      assert.match(error.message, /^query evaluation failed: Divide by zero/);
      return true;
    });
  }
});
