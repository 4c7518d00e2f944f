export { install, parseLevels, ALL_LEVELS, type InstallOptions, type RemoteDebug, type HookStatus } from './install';
export { serialize, serializeArgs, nodeSummary, DEFAULT_SERIALIZE_LIMITS, type SerializeLimits } from './serialize';
export { parseStack, callerFrame, type StackFrame } from './call-site';
export { createEntryBuffer, type EntryBuffer } from './buffer';
export type { LogEntry, LogLevel } from './types';
