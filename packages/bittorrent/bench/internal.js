// Internals for benchmarks: modules the package does not export (its public entry is the
// user's API), compiled from src/ as they are (TypeScript's transpiler, one file to one file)
// into tmp/bench-src/ (git-ignored) and imported from there. Only for measuring internals,
// such as the MSE handshake; everything else benchmarks the built package.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'tmp', 'bench-src');

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

let compiled;
async function compile() {
  const src = join(root, 'src');
  for await (const file of sources(src)) {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
}

/** `import` of src/<path> (e.g. `mse/handshake.js`), compiled on first use. */
export async function importInternal(path) {
  compiled ??= compile();
  await compiled;
  return import(pathToFileURL(join(out, path)).href);
}

/**
 * `import` of one TypeScript file of the package that imports only Node's modules (e.g. the
 * interop tests' drivers of real clients, `test/interop/external.ts`), compiled on first use
 * into tmp/bench-src/, so the benchmark drives those clients with the tests' code.
 */
export async function importTypeScript(path) {
  const file = join(root, path);
  const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  });
  const target = join(out, path).replace(/\.ts$/, '.js');
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, outputText);
  return import(pathToFileURL(target).href);
}
