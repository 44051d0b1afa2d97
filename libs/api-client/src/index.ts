export type { components, operations, paths } from './schema';
export * from './api-error';
export * from './create-api-client';
export * from './event-stream';
