/** Spec helper: parses files with Python's xml.etree (a real XML parser) from the repo's venv. */
import { execFile } from 'node:child_process';

import { venvPython } from '../../../test/helpers/python.js';

const SCRIPT = `
import json, sys
import xml.etree.ElementTree as ET
tags = []
for path in sys.argv[1:]:
    try:
        tags.append(ET.parse(path).getroot().tag)
    except ET.ParseError as err:
        print(json.dumps({"path": path, "error": str(err)}))
        sys.exit(0)
print(json.dumps({"tags": tags}))
`;

/** The root element tag of each file (namespaced as "{uri}name"); rejects naming the first malformed file. */
export function xmlRootTags(paths: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(venvPython(), ['-c', SCRIPT, ...paths], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`python could not run xml.etree: ${stderr || err.message}`));
        return;
      }
      const result = JSON.parse(stdout) as { tags: string[] } | { path: string; error: string };
      if ('tags' in result) resolve(result.tags);
      else reject(new Error(`${result.path} is not well-formed XML: ${result.error}`));
    });
  });
}
