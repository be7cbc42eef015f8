// Validates Kubernetes manifests against the Kubernetes API's JSON schemas (kubernetes-models, which is
// ESM-only, hence a script of its own). `node validate-manifests.mjs <dir>` reads every *.yaml in <dir>,
// prints one JSON line { checked: [kind/name…], errors: […] } and exits 1 when anything is invalid.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const dir = process.argv[2];
const checked = [];
const errors = [];
for (const file of (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort()) {
  for (const document of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
    const manifest = document.toJSON();
    if (document.errors.length > 0 || typeof manifest?.kind !== 'string' || typeof manifest?.apiVersion !== 'string') {
      errors.push(`${file}: not a manifest (${document.errors.map(String).join('; ')})`);
      continue;
    }
    const label = `${manifest.kind}/${manifest.metadata?.name ?? ''}`;
    if (manifest.kind === 'Kustomization') {
      const resources = manifest.resources ?? [];
      const missing = [];
      for (const resource of resources) await readFile(join(dir, resource)).catch(() => missing.push(resource));
      if (missing.length > 0) errors.push(`${file}: ${label} lists missing files ${missing.join(', ')}`);
      checked.push(label);
      continue;
    }
    // apps/v1 → kubernetes-models/apps/v1/Deployment; core v1 → kubernetes-models/v1/Service
    const modelPath = `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`;
    try {
      const { [manifest.kind]: Model } = await import(modelPath);
      new Model(manifest).validate();
      checked.push(label);
    } catch (error) {
      errors.push(`${file}: ${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
console.log(JSON.stringify({ checked, errors }));
process.exit(errors.length > 0 ? 1 : 0);
