/** The report's "GPU feed" section, from the record bench/gpu/run.sh writes (suite "gpu"); absent when there is none. */
import { formatMiB } from '../../report.js';
import { barChart } from '../charts.js';
import { mdImage, mdShell, mdTable } from '../markdown.js';
import { isObject, numberAt, objectsAt, stringAt, type ResultRecord } from '../results.js';
import { formatDate, formatSi, sourceAndLoad, stalenessParagraph, type Section, type SectionContext } from './common.js';

const CHART = 'gpu-epoch.svg';

const INTRO =
  'A generated dataset streamed from a local flightcache cluster through `FlightCacheDataset` + `make_dataloader` ' +
  '(no worker processes, pinned host batches) into device tensors: the next batch is copied on a side CUDA stream (non_blocking) ' +
  'while the compute stream runs an MLP forward/backward/SGD step on the current one. Method: [bench/gpu/README.md](../bench/gpu/README.md).';

/** Said of a record that holds contenders (gpu_feed.py since the same-host path). */
const CONTENDERS_INTRO =
  'The same run reads over the same-host path (shm), over gRPC, and from a local Arrow IPC file memory-mapped into the same tensors ' +
  '(the anchor), each at several MLP widths: the table under the headline gives each width\'s step and what each feed left the GPU.';

/** GPU idle at or under this share of an epoch counts as fed (gpu_feed.py's IDLE_GOAL). */
const IDLE_GOAL = 0.05;

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
  return `Measured ${formatDate(record.date)} on ${device}, host ${host}, ${versions.join(', ')}. ${sourceAndLoad(record)}`;
}

/**
 * Where the reported epoch's time went, as percentages: GPU busy with training steps, GPU idle, and
 * the host blocked waiting for the next batch (which overlaps GPU work). Null when one is missing.
 */
export function gpuChart(measured: unknown): string | null {
  const idle = numberAt(measured, 'gpuIdleFraction');
  const wait = numberAt(measured, 'dataWaitFraction');
  if (idle === null || wait === null) return null;
  const bar = (label: string, fraction: number): { label: string; median: number; min: number; max: number } => ({ label, median: fraction * 100, min: fraction * 100, max: fraction * 100 });
  return barChart({
    title: 'GPU feed: the reported epoch',
    yLabel: '% of the epoch',
    bars: [bar('GPU busy', 1 - idle), bar('GPU idle', idle), bar('waiting for data', wait)],
    legend: { bar: 'one epoch', whisker: 'no spread: one epoch' },
  });
}

function epochsNote(epochs: number | null): string {
  if (epochs === null) return 'the epoch count is not recorded';
  return epochs === 1 ? 'one epoch, reported without a warm-up' : `the last of ${epochs} epochs is reported (the first warms up)`;
}

/**
 * The command that reruns a gpu record with every parameter it recorded: the shard count (an
 * environment variable of run.sh) and each gpu_feed.py option. Records from before `gb` and `device`
 * were recorded give the data size rounded to 0.1 GB and leave the device to its default.
 */
export function gpuReproduce(record: ResultRecord): string {
  const p = record.data['params'];
  const shards = numberAt(p, 'shards');
  const dataBytes = numberAt(p, 'dataBytes');
  const gb = numberAt(p, 'gb') ?? (dataBytes === null ? null : Number((dataBytes / 1e9).toFixed(1)));
  const list = (key: string): string | null => {
    const value = isObject(p) ? p[key] : undefined;
    return Array.isArray(value) && value.length > 0 ? value.join(',') : null;
  };
  const options: [string, string | number | null][] = [
    ['--device', stringAt(p, 'device') ?? stringAt(record.data, 'device')],
    ['--gb', gb],
    ['--batch-size', numberAt(p, 'batchRows')],
    ['--epochs', numberAt(p, 'epochs')],
    ['--hidden', numberAt(p, 'hidden')],
    ['--sweep', list('sweep')],
    ['--layers', numberAt(p, 'layers')],
    ['--contenders', list('contenders')],
    ['--read-ahead', numberAt(p, 'readAhead')],
  ];
  const args = options.flatMap(([flag, value]) => (value === null ? [] : [flag, String(value)]));
  if (isObject(p) && p['shuffle'] === false) args.push('--no-shuffle');
  const env = shards === null ? '' : `GPU_FEED_SHARDS=${shards} `;
  return `${env}bash bench/gpu/run.sh ${[...args, '--out', 'docs/results/gpu.json'].join(' ')}`;
}

/**
 * The sweep table (per MLP width: the median step, then GPU idle / data wait / feed GB/s of each
 * contender) and one line per contender with the shortest step at which GPU idle stays within 5%;
 * null for a record without contenders.
 */
export function gpuSweep(record: ResultRecord): string | null {
  const contenders = record.data['contenders'];
  if (!isObject(contenders)) return null;
  const names = Object.keys(contenders).filter((name) => objectsAt(contenders[name], 'sweep') !== null);
  const widths = [...new Set(names.flatMap((name) => objectsAt(contenders[name], 'sweep')!.map((point) => numberAt(point, 'hidden'))))]
    .filter((width): width is number => width !== null)
    .sort((a, b) => a - b);
  const pointAt = (name: string, width: number): Record<string, unknown> | undefined =>
    objectsAt(contenders[name], 'sweep')!.find((point) => numberAt(point, 'hidden') === width);
  const rows = widths.map((width) => {
    const first = names.map((name) => pointAt(name, width)).find((point) => point !== undefined);
    const cells = names.map((name) => {
      const point = pointAt(name, width);
      if (!point) return '\u2013';
      return `${percent(numberAt(point, 'gpuIdleFraction'))} / ${percent(numberAt(point, 'dataWaitFraction'))} / ${fixed(numberAt(point, 'feedGbps'), 2)}`;
    });
    return [String(width), fixed(numberAt(first, 'stepMsMedian'), 2, ' ms'), ...cells];
  });
  const table = mdTable(['hidden', 'step, median', ...names.map((name) => `${name}: GPU idle / data wait / GB/s`)], rows, [0, 1]);
  const lines = Object.keys(contenders).map((name) => {
    const entry = contenders[name];
    const skipped = stringAt(entry, 'skipped');
    if (skipped !== null) return `- ${name}: skipped (${skipped})`;
    const step = numberAt(entry, 'shortestFedStepMs');
    const width = numberAt(entry, 'shortestFedHidden');
    return `- ${name}: ${step === null ? `GPU idle above ${IDLE_GOAL * 100}% at every width` : `GPU idle <= ${IDLE_GOAL * 100}% down to a ${step.toFixed(2)} ms step (hidden ${width})`}`;
  });
  const goal = record.data['goal'];
  if (isObject(goal)) {
    const idle = numberAt(goal, 'gpuIdleFraction');
    const wait = numberAt(goal, 'dataWaitFraction');
    const met = goal['met'] === true ? 'met' : 'not met';
    lines.push(
      `- goal at the default step (hidden ${numberAt(goal, 'hidden') ?? '?'}, ${fixed(numberAt(goal, 'stepMsMedian'), 2, ' ms')}, ${stringAt(goal, 'contender') ?? '?'}): ` +
        `GPU idle ${percent(idle)} and data wait ${percent(wait)}, both <= ${IDLE_GOAL * 100}%: ${met}`,
    );
  }
  return `${table}\n\n${lines.join('\n')}`;
}

/** Renders the GPU feed section, or null when the results hold no gpu record. */
export function renderGpu(record: ResultRecord | undefined, context: SectionContext): Section | null {
  if (!record) return null;
  const heading = `## GPU feed\n\n${INTRO}`;
  const measured = record.data['measured'];
  if (!isObject(measured)) return { markdown: `${heading}\n\n${gpuDevice(record)}\n\nGPU feed: no measured epoch in this results set.`, charts: [] };
  const p = record.data['params'];
  const dataBytes = numberAt(p, 'dataBytes');
  const shuffle = isObject(p) && typeof p['shuffle'] === 'boolean' ? (p['shuffle'] ? 'shuffled' : 'not shuffled') : 'shuffle not recorded';
  const contender = stringAt(record.data, 'measuredContender');
  const setup =
    `Cluster: ${numberAt(p, 'shards') ?? '?'} shards on the same machine. Data: ${dataBytes === null ? '?' : formatMiB(dataBytes)} (${numberAt(p, 'rowBytes') ?? '?'} bytes/row), ${numberAt(p, 'batchRows') ?? '?'}-row batches, ${shuffle}; ` +
    `MLP of ${numberAt(p, 'layers') ?? '?'} hidden layers x ${numberAt(p, 'hidden') ?? '?'}${contender === null ? '' : `, read over ${contender}`}; ${epochsNote(numberAt(p, 'epochs'))}.`;
  const samples = numberAt(measured, 'samplesPerSec');
  const table = mdTable(
    ['metric', 'value'],
    [
      ['samples/s', samples === null ? '\u2013' : formatSi(samples)],
      ['feed GB/s (bytes / epoch wall time)', fixed(numberAt(measured, 'feedGbps'), 3)],
      ['host-to-device GB/s (bytes / copy-stream time)', fixed(numberAt(measured, 'h2dGbps'), 2)],
      ['training step, median', fixed(numberAt(measured, 'stepMsMedian'), 2, ' ms')],
      ['time blocked waiting for the next batch / total', percent(numberAt(measured, 'dataWaitFraction'))],
      ['GPU idle (share of the epoch outside training steps)', percent(numberAt(measured, 'gpuIdleFraction'))],
      ['epoch', fixed(numberAt(measured, 'seconds'), 2, ' s')],
    ],
    [1],
  );
  const reproduce = `${stalenessParagraph(record)}Reproduce on a GPU machine:\n\n${mdShell(gpuReproduce(record))}`;
  const sweep = gpuSweep(record);
  const parts = sweep === null ? [heading, gpuDevice(record), setup, reproduce, table] : [heading, CONTENDERS_INTRO, gpuDevice(record), setup, reproduce, table, sweep];
  const svg = gpuChart(measured);
  if (svg === null) return { markdown: parts.join('\n\n'), charts: [] };
  parts.push(mdImage('GPU feed: share of the epoch busy, idle and waiting for data', context.chartHref(CHART)));
  return { markdown: parts.join('\n\n'), charts: [{ name: CHART, svg }] };
}
