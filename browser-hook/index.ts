export { install, parseLevels, ALL_LEVELS, type InstallOptions, type RemoteDebug, type HookStatus } from './install';
// Shared with the log client (packages/log-core), exported here as before.
export {
  serialize,
  serializeArgs,
  nodeSummary,
  DEFAULT_SERIALIZE_LIMITS,
  parseStack,
  callerFrame,
  createEntryBuffer,
  type SerializeLimits,
  type StackFrame,
  type EntryBuffer,
} from '../packages/log-core';
export type { LogEntry, LogLevel } from './instrument/types';
