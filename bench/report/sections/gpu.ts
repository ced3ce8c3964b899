/** The report's "GPU feed" section, from the record bench/gpu/run.sh writes (suite "gpu"); absent when there is none. */
import { formatMiB } from '../../report.js';
import { mdShell, mdTable } from '../markdown.js';
import { isObject, numberAt, stringAt, type ResultRecord } from '../results.js';
import { formatDate, formatSi, type Section } from './common.js';

const INTRO =
  'A generated dataset streamed from a local flightcache cluster through `FlightCacheDataset` + `make_dataloader` ' +
  '(num_workers=0, pinned host batches) into device tensors: batch i+1 is copied on a side CUDA stream (non_blocking) ' +
  'while the compute stream runs an MLP forward/backward/SGD step on batch i. Method: [bench/gpu/README.md](../bench/gpu/README.md).';

function percent(value: number | null): string {
  return value === null ? '\u2013' : `${(value * 100).toFixed(1)}%`;
}

function fixed(value: number | null, digits: number, unit = ''): string {
  return value === null ? '\u2013' : `${value.toFixed(digits)}${unit}`;
}

/** The device line: the card name (or the CPU dry run), the host, and torch/CUDA/pyarrow versions. */
export function gpuDevice(record: ResultRecord): string {
  const card = stringAt(record.data, 'gpuName');
  const device = card === null ? `CPU dry run (device ${stringAt(record.data, 'device') ?? 'cpu'}, no GPU)` : `**${card}**`;
  const m = record.machine;
  const host = m.cores === null ? m.cpu : `${m.cpu} (${m.cores} cores)`;
  const cuda = stringAt(record.data, 'cuda');
  const versions = [`torch ${stringAt(record.data, 'torch') ?? '?'}${cuda === null ? '' : ` (CUDA ${cuda})`}`, `pyarrow ${stringAt(record.data, 'pyarrowVersion') ?? m.pyarrow ?? '?'}`];
  return `Measured ${formatDate(record.date)} on ${device}, host ${host}, ${versions.join(', ')}.`;
}

/** Renders the GPU feed section, or null when the results hold no gpu record. */
export function renderGpu(record: ResultRecord | undefined): Section | null {
  if (!record) return null;
  const heading = `## GPU feed\n\n${INTRO}`;
  const measured = record.data['measured'];
  if (!isObject(measured)) return { markdown: `${heading}\n\n${gpuDevice(record)}\n\nGPU feed: no measured epoch in this results set.`, charts: [] };
  const p = record.data['params'];
  const dataBytes = numberAt(p, 'dataBytes');
  const shuffle = isObject(p) && typeof p['shuffle'] === 'boolean' ? (p['shuffle'] ? 'shuffled' : 'not shuffled') : 'shuffle not recorded';
  const setup =
    `Cluster: ${numberAt(p, 'shards') ?? 2} shards on the same machine. Data: ${dataBytes === null ? '?' : formatMiB(dataBytes)} (${numberAt(p, 'rowBytes') ?? '?'} bytes/row), ${numberAt(p, 'batchRows') ?? '?'}-row batches, ${shuffle}; ` +
    `MLP of ${numberAt(p, 'layers') ?? '?'} hidden layers x ${numberAt(p, 'hidden') ?? '?'}; the last of ${numberAt(p, 'epochs') ?? '?'} epochs is reported (the first warms up).`;
  const samples = numberAt(measured, 'samplesPerSec');
  const table = mdTable(
    ['metric', 'value'],
    [
      ['samples/s', samples === null ? '\u2013' : formatSi(samples)],
      ['feed GB/s (bytes / epoch wall time)', fixed(numberAt(measured, 'feedGbps'), 3)],
      ['host-to-device GB/s (bytes / copy-stream time)', fixed(numberAt(measured, 'h2dGbps'), 2)],
      ['training step, median', fixed(numberAt(measured, 'stepMsMedian'), 2, ' ms')],
      ['time blocked waiting for the next batch / total', percent(numberAt(measured, 'dataWaitFraction'))],
      ['GPU idle (1 - step time / total)', percent(numberAt(measured, 'gpuIdleFraction'))],
      ['epoch', fixed(numberAt(measured, 'seconds'), 2, ' s')],
    ],
    [1],
  );
  const gb = dataBytes === null ? '' : ` --gb ${(dataBytes / 1e9).toFixed(1)}`;
  const flags = shuffle === 'not shuffled' ? ' --no-shuffle' : '';
  const shards = numberAt(p, 'shards');
  const env = shards === null ? '' : `GPU_FEED_SHARDS=${shards} `;
  const reproduce = `Reproduce on a GPU machine:\n\n${mdShell(`${env}bash bench/gpu/run.sh${gb}${flags} --out docs/results/gpu.json`)}`;
  return { markdown: [heading, gpuDevice(record), setup, reproduce, table].join('\n\n'), charts: [] };
}
