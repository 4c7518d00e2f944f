export * from './errors';
export * from './limits';
export * from './messages';
export * from './log-entry';
export * from './events';
export * from './presence-limits';
export * from './presence';
export * from './serialized-text';
