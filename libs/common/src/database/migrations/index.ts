import { CoreSchema1764000000000 } from './1764000000000-core-schema';

/** Every migration, in order. Listed explicitly, never globbed. */
export const MIGRATIONS = [CoreSchema1764000000000];
