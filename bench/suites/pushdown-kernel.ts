/**
 * The shard's filter rate: a predicate planned as a shard plans it, its kernel run over every record
 * batch of an Arrow IPC stream held in memory (with the dictionaries in force) in one threaded scan
 * (BatchFilter.selectBatches), as the shard scans its stored batches. Wall and CPU seconds per full pass.
 */
import { readFileSync } from 'node:fs';

import { readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import { bindQuery, parseQueryText } from '../../cache-server/engine/sql/plan.js';
import type { BatchMessage, FilterInput } from '../../cache-server/engine/sql/evaluate.js';

/** Rows the predicate kept in one pass; wall and CPU seconds of each sample. */
export interface KernelTimes {
  rows: number;
  seconds: number[];
  cpuSeconds: number[];
}

function batchesOf(file: string): { schema: Uint8Array; batches: FilterInput[] } {
  const { schema, messages } = readIpcMessages(readFileSync(file));
  const batches: FilterInput[] = [];
  let dictionaries = new Map<bigint, BatchMessage>();
  for (const message of messages) {
    if (message.info.kind === 'dictionary_batch') {
      if (message.info.isDelta) throw new Error(`${file}: delta dictionaries are not part of this benchmark`);
      dictionaries = new Map(dictionaries).set(message.info.dictionaryId ?? 0n, message);
    } else if (message.info.kind === 'record_batch') {
      batches.push({ message, rows: message.info.rows, dictionaries });
    }
  }
  return { schema, batches };
}

/**
 * Times `runs` samples of `repeat` passes each, per predicate (after one warm-up pass), over the
 * batches of the IPC stream `file`.
 */
export function kernelTimes(file: string, predicates: readonly string[], runs: number, repeat: number): Map<string, KernelTimes> {
  const { schema, batches } = batchesOf(file);
  const out = new Map<string, KernelTimes>();
  for (const predicate of predicates) {
    const filter = bindQuery(parseQueryText({ filter: predicate }), schema).filter!;
    const pass = (): number => {
      const { selected, error } = filter.selectBatches(batches);
      if (error !== undefined) throw error;
      return selected.reduce((kept, rows) => kept + rows.length, 0);
    };
    const times: KernelTimes = { rows: pass(), seconds: [], cpuSeconds: [] };
    for (let run = 0; run < runs; run++) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      let rows = 0;
      for (let r = 0; r < repeat; r++) rows = pass();
      times.seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      const used = process.cpuUsage(cpu);
      times.cpuSeconds.push((used.user + used.system) / 1e6);
      if (rows !== times.rows) throw new Error(`${predicate}: pass ${run} kept ${rows} rows, the warm-up ${times.rows}`);
    }
    out.set(predicate, times);
  }
  return out;
}
