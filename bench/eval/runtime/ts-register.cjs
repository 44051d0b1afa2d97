// Lets node (and `node --test`) require TypeScript files: each .ts file is transpiled to CommonJS
// with the TypeScript compiler's transpileModule (no type checking), the way ts-jest's
// isolatedModules mode does. Part of the eval's test runtime (bench/eval/runtime), not of the
// upstream package.
const ts = require('typescript');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      esModuleInterop: true,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  module._compile(outputText, filename);
};
