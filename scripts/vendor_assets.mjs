// Copies the browser builds the portal needs from node_modules/ into
// portal/static/vendor/ (gitignored). The portal never loads assets from a CDN:
// machines may be offline. Run after `npm ci`; safe to run repeatedly.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "portal", "static", "vendor");

// [source under node_modules, destination under vendor]. Source maps are copied
// because the minified files reference them and whitenoise's manifest storage
// fails collectstatic on a missing referenced file.
const files = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"],
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/css/bootstrap.min.css.map"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/js/bootstrap.bundle.min.js.map"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["bpmn-js/dist/bpmn-viewer.production.min.js", "bpmn-js/bpmn-viewer.production.min.js"],
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"],
  ["bpmn-js/dist/assets", "bpmn-js/assets"],
];

if (!existsSync(modules)) {
  console.error("node_modules/ is missing: run `npm ci` first.");
  process.exit(1);
}

rmSync(vendor, { recursive: true, force: true });
for (const [source, destination] of files) {
  const from = join(modules, source);
  const to = join(vendor, destination);
  if (!existsSync(from)) {
    console.error(`Missing ${from}: package.json and this script disagree.`);
    process.exit(1);
  }
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}
console.log(`Copied ${files.length} front-end assets into ${vendor}`);
