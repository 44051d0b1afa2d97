import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Binding from '../../../native/binding';
import { TdlnErrorCode } from './tdln.errors';
import { DomainException } from '@app/common';

/** The raw N-API binding's module type (generated `.d.ts`). Only this lib sees it. */
export type TdlnBinding = typeof Binding;

/** Finds `native/binding` above this file, from the sources as from `dist/`. */
function bindingDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'native', 'binding');
    if (existsSync(join(candidate, 'index.js'))) return candidate;
  }
  throw new DomainException(TdlnErrorCode.AddonMissing, 'The TDLN binding (native/binding/index.js) is not in this installation');
}

/**
 * Loads the native addon once. A missing or foreign-platform build stops start-up with a message
 * saying how to build it, instead of failing later on the first request.
 */
export function loadTdlnBinding(): TdlnBinding {
  const dir = bindingDir();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(dir) as TdlnBinding;
    binding.engineInfo();
    return binding;
  } catch (error) {
    throw new DomainException(
      TdlnErrorCode.AddonMissing,
      `The TDLN native addon could not be loaded for ${process.platform}-${process.arch} (${(error as Error).message.split('\n')[0]}). ` +
        'Build it with `npm run build:native` (needs Rust/cargo), or run `npm install` again.',
    );
  }
}
