export * from './md5';
export * from './legacy';
export * from './operator';
export * from './strong';
export * from './publish-token';
