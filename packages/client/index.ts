export * from './client';
export * from './client-options';
export * from './connect-url';
export * from './catch-up';
export * from './send-queue';
export * from './md5';
export * from './legacy-config';
export * from './legacy-api';
