// API reports: what each published package exports, as its built type declarations say, in
// one checked-in file per package (packages/<pkg>/api-report.md), so a change to a public
// surface shows up in review as a diff of that file.
//
//   node scripts/api-report.mjs           rewrite every report from dist/ (build first)
//   node scripts/api-report.mjs --check   fail (exit 1) when a report differs from dist/
//   node scripts/api-report.mjs core sim  only these packages
//
// Why not api-extractor: it takes one entry point per run and a config per entry, and brings
// its own TypeScript; our packages have up to three entries (`.`, `/node`, `/testing`,
// `/scenarios`). This reads every `types` entry of package.json `exports` with the TypeScript
// we build with, lists the exports of each entry sorted by name, and prints each declaration
// without comments (the report is the surface, not the docs). Private packages are skipped.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => !a.startsWith('--'));
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function entriesOf(pkg) {
  const entries = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target === 'object' && target.types) entries.push({ subpath, types: target.types });
  }
  return entries;
}

/** The declaration text of one exported symbol. */
function declarationText(checker, exported) {
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const texts = [];
  for (const declaration of symbol.declarations ?? []) {
    let node = declaration;
    // `declare const x: T;` prints as the statement, not the bare declarator.
    if (ts.isVariableDeclaration(node)) node = node.parent.parent;
    let text = printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile());
    text = text.replace(/^export (default )?/, '').replace(/^declare /, '');
    texts.push(text);
  }
  const renamed = symbol.name !== exported.name && symbol.name !== 'default';
  return `${renamed ? `// exported as ${exported.name}\n` : ''}${texts.join('\n')}`;
}

function report(dir, pkg) {
  const entries = entriesOf(pkg);
  const files = entries.map((e) => join(dir, e.types));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`${pkg.name}: ${missing.join(', ')} missing (build first: pnpm build)`);
  }
  const program = ts.createProgram(files, {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  let out = `# API report: ${pkg.name}\n\n`;
  out +=
    'Generated from the built declarations by `pnpm api:report`; CI (`pnpm api:check`) fails\n';
  out += 'when it differs from them. A diff here is a change to the public API: review it.\n';
  for (const [i, entry] of entries.entries()) {
    const source = program.getSourceFile(files[i]);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    const exported = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
    const name = entry.subpath === '.' ? pkg.name : `${pkg.name}${entry.subpath.slice(1)}`;
    out += `\n## \`${name}\` (${exported.length} exports)\n\n\`\`\`ts\n`;
    const sorted = [...exported].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out += sorted.map((s) => declarationText(checker, s)).join('\n\n');
    out += '\n```\n';
  }
  return out;
}

/** First lines where two texts differ, for the CI log. */
function difference(expected, actual) {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const lines = [];
  for (let i = 0; i < Math.max(a.length, b.length) && lines.length < 12; i++) {
    if (a[i] !== b[i]) {
      if (a[i] !== undefined) lines.push(`  line ${i + 1} checked in: ${a[i]}`);
      if (b[i] !== undefined) lines.push(`  line ${i + 1} built:      ${b[i]}`);
    }
  }
  return lines.join('\n');
}

let failed = 0;
let checked = 0;
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', name);
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (pkg.private || (only.length > 0 && !only.includes(name))) continue;
  const path = join(dir, 'api-report.md');
  const text = report(dir, pkg);
  checked++;
  if (!check) {
    writeFileSync(path, text);
    continue;
  }
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current !== text) {
    failed++;
    console.error(`${pkg.name}: packages/${name}/api-report.md differs from the built types`);
    console.error(difference(current, text));
  }
}
if (check) {
  if (failed > 0) {
    console.error(
      `\n${failed} API report(s) out of date: run \`pnpm build && pnpm api:report\`, review and commit the diff.`,
    );
    process.exit(1);
  }
  console.log(`api reports: ${checked} packages match their built types`);
} else {
  console.log(`api reports: ${checked} packages written`);
}
