// Checks Kubernetes manifests offline, three ways:
//
// 1. the Kubernetes API's OpenAPI schemas (kubernetes-models: types,
//    required fields, formats such as resource quantities);
// 2. the API's types (kubernetes-types, compiled by TypeScript): a field
//    the API does not have (a typo such as `livenesProbe`) is an error,
//    which the schemas alone let through;
// 3. emberkv's own rules: every emberkv container has startup, liveness and
//    readiness probes, memory requests and limits, and maxmemory at most
//    80% of its memory limit (docs/kubernetes.md); a sidecar is an init
//    container with restartPolicy: Always.
//
//   node validate.mjs FILE.yaml...      exit 0 when every document passes
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import YAML from "yaml";
import ts from "typescript";

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);

// apiVersion/kind -> [kubernetes-models module, class, kubernetes-types module].
const KINDS = {
  "v1/Pod": ["kubernetes-models/v1", "Pod", "kubernetes-types/core/v1"],
  "v1/Service": ["kubernetes-models/v1", "Service", "kubernetes-types/core/v1"],
  "v1/ConfigMap": ["kubernetes-models/v1", "ConfigMap", "kubernetes-types/core/v1"],
  "apps/v1/Deployment": ["kubernetes-models/apps/v1", "Deployment", "kubernetes-types/apps/v1"],
};

const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);

// Redis memory units (as emberkv parses them) and Kubernetes quantities.
function redisBytes(text) {
  const m = /^(\d+)(gb|mb|kb|g|m|k|b)?$/i.exec(String(text));
  if (!m) return NaN;
  const unit = { gb: 2 ** 30, mb: 2 ** 20, kb: 2 ** 10, g: 1e9, m: 1e6, k: 1e3, b: 1 }[(m[2] || "b").toLowerCase()];
  return Number(m[1]) * unit;
}
function quantityBytes(text) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(text));
  if (!m) return NaN;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] || 1;
  return Number(m[1]) * unit;
}

// A setting as the server would see it: a flag in args wins over EMBERKV_*.
function setting(container, name) {
  const args = [...(container.command || []), ...(container.args || [])];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}` && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  const variable = "EMBERKV_" + name.toUpperCase().replaceAll("-", "_");
  const env = (container.env || []).find((e) => e.name === variable);
  return env ? env.value ?? "(from a reference)" : undefined;
}

function checkEmberkv(where, container, isSidecar) {
  for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    if (!container[probe]) fail(where, `emberkv needs a ${probe}`);
  }
  for (const probe of ["startupProbe", "livenessProbe"]) {
    const command = container[probe]?.exec?.command;
    if (command && command[0] !== "/emberkv") fail(where, `${probe} must run /emberkv --probe (the image has no shell)`);
  }
  const limit = quantityBytes(container.resources?.limits?.memory);
  const request = quantityBytes(container.resources?.requests?.memory);
  if (!(limit > 0) || !(request > 0)) fail(where, "emberkv needs memory requests and limits");
  const maxmemory = setting(container, "maxmemory");
  if (maxmemory === undefined) {
    fail(where, "emberkv needs maxmemory below its memory limit");
  } else if (!(redisBytes(maxmemory) > 0 && redisBytes(maxmemory) <= 0.8 * limit)) {
    fail(where, `maxmemory ${maxmemory} must be at most 80% of the memory limit ${container.resources?.limits?.memory}`);
  }
  if (isSidecar && container.restartPolicy !== "Always") fail(where, "a sidecar is an init container with restartPolicy: Always");
}

function podSpecs(doc) {
  if (doc.kind === "Pod") return [doc.spec];
  if (doc.kind === "Deployment") return [doc.spec?.template?.spec];
  return [];
}

const typeChecks = [];  // TypeScript source, one declaration per document
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  docs.forEach((parsed, index) => {
    const where = `${path.basename(file)}[${index}]`;
    if (parsed.errors.length) return fail(where, parsed.errors.map((e) => e.message).join("; "));
    const doc = parsed.toJS();
    if (!doc) return;
    const key = `${doc.apiVersion}/${doc.kind}`;
    const known = KINDS[key];
    if (!known) return fail(where, `no schema for ${key} here`);
    const [module, className, typesModule] = known;
    try {
      new (require(module)[className])(doc).validate();
    } catch (error) {
      fail(`${where} ${doc.kind}/${doc.metadata?.name}`, `schema: ${error.message}`);
    }
    typeChecks.push({ where: `${where} ${doc.kind}/${doc.metadata?.name}`, source:
      `import type { ${className} } from "${typesModule}";\n` +
      `export const doc${typeChecks.length}: ${className} = ${JSON.stringify(doc, null, 2)};\n` });
    for (const spec of podSpecs(doc)) {
      for (const c of spec?.initContainers || []) {
        if (/emberkv/.test(c.image)) checkEmberkv(`${where} initContainer ${c.name}`, c, true);
      }
      for (const c of spec?.containers || []) {
        if (/emberkv/.test(c.image)) checkEmberkv(`${where} container ${c.name}`, c, false);
      }
    }
  });
}

// Type-check every document as an object literal of its API type: excess
// property checks reject fields the API does not have.
const files = new Map(typeChecks.map((t, i) => [path.join(here, `manifest${i}.ts`), t]));
const options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext,
                  moduleResolution: ts.ModuleResolutionKind.Node10, types: [] };
const host = ts.createCompilerHost(options);
const readFile = host.readFile;
host.readFile = (name) => (files.has(name) ? files.get(name).source : readFile(name));
host.fileExists = ((exists) => (name) => files.has(name) || exists(name))(host.fileExists);
const program = ts.createProgram([...files.keys()], options, host);
for (const d of ts.getPreEmitDiagnostics(program)) {
  const check = d.file && files.get(d.file.fileName);
  const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
  fail(check ? check.where : "typescript", `type: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}` +
       (check ? ` (line ${line} of the document as JSON)` : ""));
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`${typeChecks.length} manifests valid`);
