/** Reading the operator's manifests and DataCache files, and the CRD's defaults applied offline. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { API_VERSION, type DataCache } from './datacache.js';

/** Path of the DataCache CRD in the kustomize base. */
export const CRD_PATH = fileURLToPath(new URL('../../operator/manifests/base/datacache-crd.yaml', import.meta.url));

interface Schema {
  type?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
}

/** The CRD as an object. */
export function loadCrd(): Record<string, unknown> & { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } } {
  return loadAll(readFileSync(CRD_PATH, 'utf8'))[0] as ReturnType<typeof loadCrd>;
}

/** Fills the schema's `default`s into an object the way the API server does for present parents. */
export function applyDefaults(value: unknown, schema: Schema): unknown {
  if (schema.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = applyDefaults(out[key], child);
  }
  return out;
}

/** The DataCaches in a YAML file (other kinds are an error), with the CRD's defaults filled in. */
export function readDataCaches(path: string): DataCache[] {
  const schema = loadCrd().spec.versions[0]!.schema.openAPIV3Schema;
  // js-yaml, not the client's loadAllYaml: that one turns known kinds into model classes with renamed keys.
  return loadAll(readFileSync(path, 'utf8'))
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc, i) => {
      const obj = doc as Partial<DataCache>;
      if (obj.apiVersion !== API_VERSION || obj.kind !== 'DataCache') {
        throw new FlightError(Code.INVALID_ARGUMENT, `${path}: document ${i + 1} is ${obj.apiVersion}/${obj.kind}, expected ${API_VERSION}/DataCache`);
      }
      if (!obj.metadata?.name || !obj.spec?.image) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: document ${i + 1} needs metadata.name and spec.image`);
      const withDefaults = applyDefaults(obj, schema) as DataCache;
      return { ...withDefaults, metadata: { ...withDefaults.metadata, namespace: withDefaults.metadata.namespace ?? 'default' } };
    });
}
